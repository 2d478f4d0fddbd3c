package org.gpupass.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.bus.BusEndpoint;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.Printable;
import org.gpupass1.Error;
import org.gpupass1.Manager;

/**
 * gpupassctl: the org.gpupass1 API for people. Exit codes: 0 done; 1 other failure (e.g. no bus);
 * 2 usage; 3..16 the spec's errors (see {@link #exitCode}); 17 the daemon is not running.
 */
public final class Gpupassctl {
    static final String USAGE = """
            Usage: gpupassctl [OPTIONS] COMMAND [OPERANDS]
              status [--json]          the GPUs, their state and holder (--json: the Gpu properties)
              claim DEVICE HOLDER      bind the GPU (and all its functions) to vfio-pci for HOLDER;
                                       DEVICE is e.g. 01:00.0 or 0000:01:00.0, or "" for the one claimable GPU
              release DEVICE [HOLDER]  give it back to its host drivers; without HOLDER, whoever holds it
              claim-domain DOMAIN      ClaimDomain with the libvirt domain XML on stdin (as the libvirt hook
                                       does for XML over busctl's 128 KiB): claims the GPUs of its
                                       <hostdev> elements for DOMAIN, e.g. virsh dumpxml DOM | ... claim-domain DOM
              plan claim|release [DEVICE] [HOLDER] [--json]
                                       the steps the daemon would run now for that Claim or Release, in
                                       order, or the error it would refuse with; runs nothing
              monitor                  print state changes and failures as they happen, one line each
              doctor [--json]          is this machine ready for passthrough? (offline; see doctor --help)
              hostdev-xml DEVICE       <hostdev managed='no'> elements for every function of a GPU (offline)
              attach DOMAIN [DEVICE]   add every function of the GPU to the libvirt domain as <hostdev managed='no'>
                                       (persistent config; the running domain too when the GPU is claimed for it),
                                       turning a managed='yes' one into managed='no'; without DEVICE the one
                                       claimable GPU; refuses a GPU gpupassd does not manage or cannot claim
              detach DOMAIN [DEVICE]   take them out again; without DEVICE the GPU of gpupassd's the domain has
                                       attach and detach: --connect=URI (default qemu:///system), --json;
                                       they run virsh, and change nothing when there is nothing to do
            Options of the commands that talk to gpupassd:
              --bus=ADDRESS            a bus other than the system bus, e.g. unix:path=/tmp/demo/bus
              --timeout=SECONDS        how long a call may take (default 300; more than 0, at most 2147483)
              --help, --version
            Options go anywhere before "--"; "--" ends them, so an operand that starts with "-" goes after it:
              gpupassctl claim 01:00.0 -- -odd-holder

            Exit codes: 0 ok, 1 other failure, 2 usage, 3 InvalidArgument, 4 NoSuchDevice, 5 Ambiguous,
              6 AlreadyClaimed, 7 NotHolder, 8 IommuDisabled, 9 IommuGroupUnsafe, 10 BootDisplay, 11 InUse,
              12 ManagedHostdev, 13 Busy, 14 Stuck, 15 TransitionFailed, 16 AccessDenied,
              17 gpupassd is not running, 18 attach: the GPU is not claimable now (the daemon's reasons are printed);
              attach and detach exit 1 when virsh is missing, libvirt unreachable or the domain unknown
            """;
    static final String BUS_NAME = "org.gpupass1";
    static final String MANAGER_PATH = "/org/gpupass1";
    /** attach: the daemon's Status says the GPU cannot be claimed now (its Blockers). */
    static final int EXIT_NOT_CLAIMABLE = 18;
    private static final long DEFAULT_TIMEOUT_MS = 300_000;
    /** libdbus's reply timeouts are int milliseconds. */
    private static final long MAX_TIMEOUT_SECONDS = Integer.MAX_VALUE / 1000;
    private static final List<CommandLine.Option> BUS_OPTIONS = List.of(
            CommandLine.Option.valued("--bus", "ADDRESS"), CommandLine.Option.valued("--timeout", "SECONDS"));
    /** The commands that call gpupassd; doctor and hostdev-xml read the host themselves. */
    private static final Map<String, CommandLine.Spec> BUS_COMMANDS = Map.of(
            "status", new CommandLine.Spec("status",
                    CommandLine.concat(BUS_OPTIONS, List.of(CommandLine.Option.flag("--json"))), List.of()),
            "claim", new CommandLine.Spec("claim", BUS_OPTIONS, List.of("DEVICE", "HOLDER")),
            "release", new CommandLine.Spec("release", BUS_OPTIONS, List.of("DEVICE", "[HOLDER]")),
            "claim-domain", new CommandLine.Spec("claim-domain", BUS_OPTIONS, List.of("DOMAIN")),
            "plan", new CommandLine.Spec("plan",
                    CommandLine.concat(BUS_OPTIONS, List.of(CommandLine.Option.flag("--json"))),
                    List.of("OPERATION", "[DEVICE]", "[HOLDER]")),
            "monitor", new CommandLine.Spec("monitor", BUS_OPTIONS, List.of()),
            "attach", new CommandLine.Spec("attach", CommandLine.concat(BUS_OPTIONS, DomainAttach.OPTIONS),
                    List.of("DOMAIN", "[DEVICE]")),
            "detach", new CommandLine.Spec("detach", CommandLine.concat(BUS_OPTIONS, DomainAttach.OPTIONS),
                    List.of("DOMAIN", "[DEVICE]")));
    /** Without a command: only --help and --version. */
    private static final CommandLine.Spec NO_COMMAND = new CommandLine.Spec("", List.of(), List.of());

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    public Gpupassctl(PrintStream out, PrintStream err) {
        this(System.in, out, err);
    }

    public Gpupassctl(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // Keep startup lean and output clean: no logging framework for a one-shot client.
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        System.exit(new Gpupassctl(System.in, System.out, System.err).run(args));
    }

    /** Runs one command line; returns the exit code. */
    public int run(String... args) {
        List<String> words = Arrays.asList(args);
        int at = CommandLine.firstOperand(words);
        if (at < 0) {
            try {
                if (CommandLine.parse(words, NO_COMMAND).answeredHelpOrVersion(USAGE, out)) {
                    return 0;
                }
            } catch (CommandLine.UsageException e) {
                return usage(e.getMessage());
            }
            return usage("no command given");
        }
        String command = words.get(at);
        List<String> rest = new ArrayList<>(words);
        rest.remove(at);
        if (command.equals("doctor")) {
            return Doctor.run(rest, out, err);
        }
        if (command.equals("hostdev-xml")) {
            return HostdevXml.run(rest, out, err);
        }
        CommandLine.Spec spec = BUS_COMMANDS.get(command);
        if (spec == null) {
            return usage("unknown command: " + Printable.clip(command) + " (gpupassctl --help lists them)");
        }
        CommandLine line;
        String bus;
        long timeoutMs;
        DomainAttach domainAttach = null;
        try {
            line = CommandLine.parse(rest, spec);
            if (line.answeredHelpOrVersion(USAGE, out)) {
                return 0;
            }
            timeoutMs = timeoutMs(line.value("--timeout"));
            bus = line.value("--bus").orElse(null);
            if (bus != null) {
                BusEndpoint.of(bus);
            }
            if (command.equals("attach") || command.equals("detach")) {
                domainAttach = DomainAttach.of(command, line, timeoutMs);
            }
        } catch (CommandLine.UsageException e) {
            return usage(e.getMessage());
        } catch (BusEndpoint.BadAddress e) {
            return usage("--bus: " + e.getMessage());
        }
        String domainXml = null;
        if (command.equals("claim-domain")) {
            try {
                domainXml = DomainXmlInput.read(in);
            } catch (DomainXmlInput.Refused e) {
                err.println("gpupassctl: " + e.getMessage());
                return exitCode(ErrorKind.INVALID_ARGUMENT);
            }
        }
        if (command.equals("plan") && !List.of("claim", "release").contains(line.operand(0))) {
            return usage("plan: the operation is claim or release, got '" + Printable.clip(line.operand(0)) + "'");
        }
        MethodCall.setDefaultTimeout(timeoutMs);
        try (DBusConnection conn = connect(BusEndpoint.of(bus))) {
            Manager manager = conn.getRemoteObject(BUS_NAME, MANAGER_PATH, Manager.class);
            return switch (command) {
                case "status" -> status(manager, line.has("--json"));
                case "claim" -> claim(conn, manager, line.operand(0), line.operand(1));
                case "release" -> release(manager, line.operand(0), line.operands().size() > 1 ? line.operand(1) : "");
                case "claim-domain" -> claimDomain(manager, line.operand(0), domainXml);
                case "plan" -> new PlanCommand(out, err).run(manager, line.operand(0), optional(line, 1),
                        optional(line, 2), line.has("--json"));
                case "attach", "detach" -> domainAttach.run(manager, out, err);
                default -> monitor(conn);
            };
        } catch (DBusExecutionException e) {
            return fail(e);
        } catch (DBusException | java.io.IOException e) {
            err.println("gpupassctl: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static DBusConnection connect(BusEndpoint endpoint) throws DBusException {
        DBusConnectionBuilder builder = endpoint.builder();
        try {
            return builder.withShared(false).build();
        } catch (DBusException e) {
            throw endpoint.unreachable(e);
        }
    }

    /** {@code --timeout=SECONDS}: a decimal number of seconds, at least 1 ms, at most {@value #MAX_TIMEOUT_SECONDS}. */
    static long timeoutMs(Optional<String> value) throws CommandLine.UsageException {
        if (value.isEmpty()) {
            return DEFAULT_TIMEOUT_MS;
        }
        String text = value.get();
        if (!text.matches("[0-9]{1,12}(\\.[0-9]{0,9})?|\\.[0-9]{1,9}")) {
            throw new CommandLine.UsageException("--timeout=" + Printable.clip(text)
                    + ": expected a number of seconds more than 0, e.g. --timeout=600 or --timeout=0.5");
        }
        BigDecimal seconds = new BigDecimal(text.startsWith(".") ? "0" + text : text);
        if (seconds.compareTo(BigDecimal.valueOf(MAX_TIMEOUT_SECONDS)) > 0
                || seconds.compareTo(new BigDecimal("0.001")) < 0) {
            throw new CommandLine.UsageException("--timeout=" + text + ": must be more than 0 and at most "
                    + MAX_TIMEOUT_SECONDS + " seconds");
        }
        return seconds.movePointRight(3).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    static String versionLine() {
        String v = Gpupassctl.class.getPackage().getImplementationVersion();
        return "gpupassctl " + (v == null ? "dev" : v) + "\n";
    }

    private int status(Manager manager, boolean json) {
        List<Map<String, Variant<?>>> gpus = manager.Status();
        if (json) {
            out.println(Json.of(gpus));
            return 0;
        }
        out.printf("%-12s %-8s %-10s %-12s %-10s %s%n", "ADDRESS", "STATE", "DRIVER", "HOLDER", "CLAIMABLE", "NAME");
        for (Map<String, Variant<?>> gpu : gpus) {
            out.printf("%-12s %-8s %-10s %-12s %-10s %s%n", value(gpu, "Address"), value(gpu, "State"),
                    dash(value(gpu, "Driver")), dash(value(gpu, "Holder")),
                    Boolean.TRUE.equals(gpu.get("Claimable").getValue()) ? "yes" : "no", value(gpu, "Name"));
            Object blockers = gpu.get("Blockers").getValue();
            if (blockers instanceof List<?> list) {
                list.forEach(b -> out.println("             ! " + b));
            }
        }
        return 0;
    }

    private int claim(DBusConnection conn, Manager manager, String device, String holder) throws DBusException {
        DBusPath gpu = manager.Claim(device, holder);
        Properties props = conn.getRemoteObject(BUS_NAME, gpu.getPath(), Properties.class);
        out.println(props.Get("org.gpupass1.Gpu", "Address") + " is on " + props.Get("org.gpupass1.Gpu", "Driver")
                + " for " + holder);
        return 0;
    }

    private int release(Manager manager, String device, String holder) {
        manager.Release(device, holder);
        out.println(device + " released" + (holder.isEmpty() ? "" : " by " + holder));
        return 0;
    }

    private int claimDomain(Manager manager, String domain, String xml) {
        List<DBusPath> gpus = manager.ClaimDomain(domain, xml);
        if (gpus.isEmpty()) {
            out.println("no GPU of gpupassd's in the hostdevs of " + domain + ": nothing claimed");
        }
        for (DBusPath gpu : gpus) {
            out.println(addressOf(gpu.getPath()) + " is on vfio-pci for " + domain);
        }
        return 0;
    }

    /** The address in a GPU's object path, spelt as the contract says ({@code .../pci_0000_01_00_0}). */
    static String addressOf(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (!name.matches("pci_[0-9a-f]{4}_[0-9a-f]{2}_[0-9a-f]{2}_[0-7]")) {
            return path;
        }
        return name.substring(4, 8) + ":" + name.substring(9, 11) + ":" + name.substring(12, 14) + "."
                + name.substring(15);
    }

    private int monitor(DBusConnection conn) throws DBusException, InterruptedException {
        conn.addSigHandler(Manager.StateChanged.class, s -> line(s.address() + " " + s.oldState() + " -> "
                + s.newState() + (s.holder().isEmpty() ? "" : " (" + s.holder() + ")")));
        conn.addSigHandler(Manager.TransitionFailed.class, s -> line(s.address() + " failed: "
                + s.error().substring(s.error().lastIndexOf('.') + 1) + ": " + s.message()));
        conn.addSigHandler(Properties.PropertiesChanged.class, s -> {
            Variant<?> t = s.getPropertiesChanged().get("Transition");
            if (MANAGER_PATH.equals(s.getPath()) && t != null && !"".equals(t.getValue())) {
                line("transition: " + t.getValue());
            }
        });
        err.println("Watching " + BUS_NAME + "; Ctrl-C to stop.");
        new CountDownLatch(1).await();
        return 0;
    }

    private synchronized void line(String text) {
        out.println(java.time.LocalTime.now().withNano(0) + " " + text);
        out.flush();
    }

    private int fail(DBusExecutionException e) {
        String name = Error.nameOf(e.getClass());
        String message = e.getMessage() == null || e.getMessage().isBlank() ? name : e.getMessage();
        int code = exitCode(name);
        if (code == 17) {
            message = "gpupassd is not running on this bus (" + message + ")";
        }
        err.println("gpupassctl: " + message);
        return code;
    }

    /** The documented exit code for a D-Bus error name ({@link ExitCodes}). */
    static int exitCode(String dbusName) {
        return ExitCodes.of(dbusName);
    }

    /** The documented exit code for one of the spec's errors. */
    static int exitCode(ErrorKind kind) {
        return ExitCodes.of(kind);
    }

    private int usage(String problem) {
        err.println("gpupassctl: " + problem + "\n\n" + USAGE);
        return 2;
    }

    private static String value(Map<String, Variant<?>> gpu, String key) {
        Variant<?> v = gpu.get(key);
        return v == null ? "" : String.valueOf(v.getValue());
    }

    private static String optional(CommandLine line, int index) {
        return line.operands().size() > index ? line.operand(index) : "";
    }

    private static String dash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
