package org.gpupass.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import org.gpupass.cli.doctor.HostOptions;
import org.gpupass.config.Config;
import org.gpupass.config.ConfigException;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.model.Printable;
import org.gpupass.plan.HostSnapshot;

/**
 * {@code gpupassctl hostdev-xml DEVICE}: the {@code <hostdev managed='no'>} elements for every function
 * of a GPU (GPU first), for {@code virsh edit}; or, with {@code --virt-xml=DOMAIN}, the virt-xml command
 * lines that add them. Offline: reads the host like {@code doctor}.
 */
public final class HostdevXml {
    static final String USAGE = """
            Usage: gpupassctl hostdev-xml [--virt-xml=DOMAIN] [--sysfs-root=DIR] [--simulate[=NAME|FILE]]
                                          [--config=FILE] DEVICE
              Prints <hostdev mode='subsystem' type='pci' managed='no'> elements for every function of the GPU
              DEVICE names (the GPU or any of its functions, e.g. 01:00.0 or 0000:01:00.1), GPU first.
              managed='no' because gpupassd, called by its libvirt hook, moves the GPU to vfio-pci; with
              managed='yes' libvirt would do it too, racing gpupassd (it hangs in virsh nodedev-detach).
              Use them with
                virsh edit DOMAIN          paste the elements inside <devices>
                --virt-xml=DOMAIN          prints instead, one per function:
                                           virt-xml DOMAIN --add-device --hostdev ADDRESS,xpath.set=./@managed=no
                                           (virt-manager >= 4.1 for xpath.set)
              --sysfs-root, --simulate and --config as for gpupassctl doctor.
            Exit codes (as for the daemon's errors): 0 printed, 1 the host could not be read, 2 usage,
              3 InvalidArgument (DEVICE is not a PCI address), 4 NoSuchDevice (no such device, or not a GPU
              or a function of one that gpupassd manages)
            """;

    static final CommandLine.Spec SPEC = new CommandLine.Spec("hostdev-xml", CommandLine.concat(
            List.of(CommandLine.Option.valued("--virt-xml", "DOMAIN")), HostOptions.OPTIONS), List.of("DEVICE"));
    private static final OfflineCommand COMMAND = new OfflineCommand(SPEC, USAGE);

    private HostdevXml() {
    }

    /** Runs {@code gpupassctl hostdev-xml ARGS} (the words after "hostdev-xml"); returns the exit code. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return COMMAND.run(args, out, err, line -> run(line, out, err));
    }

    private static int run(CommandLine line, PrintStream out, PrintStream err) throws CommandLine.UsageException {
        String domain = line.value("--virt-xml").orElse(null);
        if (domain != null && domain.codePoints().anyMatch(Character::isISOControl)) {
            throw new CommandLine.UsageException("--virt-xml needs a domain name without control characters");
        }
        HostOptions options = HostOptions.of(line);
        String device = line.operand(0);
        // The exit codes of the daemon's errors for the same device: InvalidArgument, NoSuchDevice.
        PciAddress address = PciAddress.tryParse(device.strip());
        if (address == null) {
            err.println("gpupassctl hostdev-xml: not a PCI address: '" + org.gpupass.model.Printable.clip(device)
                    + "' (expected DDDD:BB:SS.F or BB:SS.F, e.g. 0000:01:00.0)");
            return Gpupassctl.exitCode(ErrorKind.INVALID_ARGUMENT);
        }
        Config config;
        try {
            config = options.loadConfig();
        } catch (ConfigException e) {
            err.println("gpupassctl hostdev-xml: " + e.getMessage());
            return 1;
        }
        HostSnapshot snap;
        try {
            snap = HostSnapshot.read(options.host(), config); // a bad --simulate: UsageException, exit 2
        } catch (IOException | RuntimeException e) {
            err.println("gpupassctl hostdev-xml: cannot read the PCI devices: " + e.getMessage());
            return 1;
        }
        Optional<PciDevice> gpu = gpuOf(snap, config, address);
        if (gpu.isEmpty()) {
            String why;
            if (snap.device(address).isEmpty()) {
                why = "no PCI device " + address;
            } else if (gpuOf(snap, Config.defaults(), address).isPresent()) {
                why = address + " belongs to a GPU that " + options.configFile() + " does not manage (manage =)";
            } else {
                why = address + " is not a GPU or a function of one";
            }
            err.println("gpupassctl hostdev-xml: " + why);
            return Gpupassctl.exitCode(ErrorKind.NO_SUCH_DEVICE);
        }
        List<PciDevice> functions = snap.functionsOf(gpu.get());
        out.print(domain == null ? xml(gpu.get(), functions) : virtXml(domain, functions));
        out.flush();
        return 0;
    }

    /** The managed GPU that has this function. */
    static Optional<PciDevice> gpuOf(HostSnapshot snap, Config config, PciAddress address) {
        for (PciDevice g : snap.gpus(config)) {
            if (snap.functionsOf(g).stream().anyMatch(f -> f.address().equals(address))) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /** A comment naming the GPU, then one hostdev element per function, GPU first. */
    static String xml(PciDevice gpu, List<PciDevice> functions) {
        StringBuilder out = new StringBuilder();
        out.append("<!-- gpupassd: GPU ").append(gpu.address()).append(' ').append(comment(gpu.displayName()))
                .append(", ").append(functions.size()).append(" function").append(functions.size() == 1 ? "" : "s")
                .append(" -->\n");
        for (PciDevice f : functions) {
            out.append(element(f.address()));
        }
        return out.toString();
    }

    /** One {@code <hostdev managed='no'>} element for a host function, as libvirt spells the address. */
    public static String element(PciAddress a) {
        return "<hostdev mode='subsystem' type='pci' managed='no'>\n"
                + "  <source>\n"
                + String.format("    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>%n",
                        a.domain(), a.bus(), a.slot(), a.function())
                + "  </source>\n"
                + "</hostdev>\n";
    }

    /** virt-xml adds one device per call; xpath.set turns libvirt's managed='yes' default off. */
    static String virtXml(String domain, List<PciDevice> functions) {
        StringBuilder out = new StringBuilder();
        for (PciDevice f : functions) {
            out.append("virt-xml ").append(shellQuote(domain)).append(" --add-device --hostdev ")
                    .append(f.address()).append(",xpath.set=./@managed=no\n");
        }
        return out.toString();
    }

    /** Text safe inside an XML comment: no "--", no trailing "-", no control characters, no markup. */
    static String comment(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        String s = out.toString();
        while (s.contains("--")) {
            s = s.replace("--", "- -");
        }
        if (s.endsWith("-")) {
            s = s + " ";
        }
        return s;
    }

    /** POSIX shell single quoting. */
    public static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9._+:@%/=-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
