package org.gpupass.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.gpupass.cli.libvirt.DomainDefinition;
import org.gpupass.cli.libvirt.HostdevChanges;
import org.gpupass.cli.libvirt.HostdevChanges.Change;
import org.gpupass.cli.libvirt.LibvirtException;
import org.gpupass.cli.libvirt.ManagedGpu;
import org.gpupass.cli.libvirt.Virsh;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.gpupass.model.Printable;
import org.gpupass1.Manager;

/**
 * {@code gpupassctl attach|detach DOMAIN [DEVICE]}: puts every function of a GPU into a libvirt domain as
 * {@code <hostdev managed='no'>}, or takes them out, through virsh. The daemon says which GPUs it manages
 * and whether one is claimable ({@code Status}); libvirt is only ever called from here, never from the
 * daemon or the hook. Reads first, then decides ({@link HostdevChanges}), then changes, then reports.
 */
final class DomainAttach {
    static final List<CommandLine.Option> OPTIONS = List.of(CommandLine.Option.valued("--connect", "URI"),
            CommandLine.Option.flag("--json"));

    private final boolean attach;
    private final String domain;
    private final String device;
    private final String uri;
    private final boolean json;
    private final long timeoutMs;
    private final List<Map<String, Object>> done = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private DomainAttach(boolean attach, String domain, String device, String uri, boolean json, long timeoutMs) {
        this.attach = attach;
        this.domain = domain;
        this.device = device;
        this.uri = uri;
        this.json = json;
        this.timeoutMs = timeoutMs;
    }

    /** The command's words, checked before the bus is reached. */
    static DomainAttach of(String command, CommandLine line, long timeoutMs) throws CommandLine.UsageException {
        String uri = line.value("--connect").orElse(Virsh.DEFAULT_URI);
        if (uri.codePoints().anyMatch(Character::isISOControl)) {
            throw new CommandLine.UsageException("--connect needs a libvirt URI without control characters");
        }
        return new DomainAttach(command.equals("attach"), line.operand(0),
                line.operands().size() > 1 ? line.operand(1) : "", uri, line.has("--json"), timeoutMs);
    }

    /** Runs it; returns the exit code. A failed call to the daemon is the caller's to report. */
    int run(Manager manager, PrintStream out, PrintStream err) {
        String who = "gpupassctl " + (attach ? "attach" : "detach") + ": ";
        if (domain.isEmpty() || domain.codePoints().anyMatch(Character::isISOControl)) {
            err.println(who + "not a domain name: '" + Printable.clip(domain) + "'");
            return Gpupassctl.exitCode(ErrorKind.INVALID_ARGUMENT);
        }
        Optional<ManagedGpu> gpu = Optional.empty();
        DomainDefinition current = null;
        try {
            Virsh virsh = Virsh.find(System.getenv("PATH"), uri, timeoutMs);
            current = DomainDefinition.parse(virsh.dumpxml(domain));
            DomainDefinition config = DomainDefinition.parse(virsh.persistentXml(domain));
            DomainDefinition live = current.running() ? current : null;
            List<ManagedGpu> gpus = ManagedGpu.fromStatus(manager.Status());
            List<Change> changes;
            if (attach) {
                gpu = Optional.of(ManagedGpu.forAttach(gpus, device, config.name()));
                gpu.get().checkAttachable();
                boolean hotplug = live != null && gpu.get().holder().equals(config.name())
                        && gpu.get().state().equals("vfio");
                changes = HostdevChanges.attach(gpu.get().functions(), config, hotplug ? live : null, HostdevXml::element);
                noteAttach(gpu.get(), config.name(), live, hotplug, changes);
            } else {
                Set<PciAddress> passed = new LinkedHashSet<>(config.hostdevs().keySet());
                if (live != null) {
                    passed.addAll(live.hostdevs().keySet());
                }
                gpu = ManagedGpu.forDetach(gpus, device, passed);
                changes = gpu.isEmpty() ? List.of()
                        : HostdevChanges.detach(gpu.get().functions(), config, live, HostdevXml::element);
                if (gpu.isPresent() && changes.stream().anyMatch(Change::live) && gpu.get().holder().equals(config.name())) {
                    notes.add(gpu.get().address() + " stays on vfio-pci for " + config.name() + " until it stops (the "
                            + "hook releases it then), or: gpupassctl release " + gpu.get().address() + " "
                            + HostdevXml.shellQuote(config.name()));
                }
            }
            apply(virsh, config.name(), changes);
        } catch (GpuPassException e) {
            err.println(who + e.getMessage());
            return Gpupassctl.exitCode(e.kind());
        } catch (ManagedGpu.NotClaimable e) {
            err.println(who + e.getMessage());
            return Gpupassctl.EXIT_NOT_CLAIMABLE;
        } catch (LibvirtException e) {
            if (!done.isEmpty()) {
                report(out, current, gpu, e.getMessage()); // what did change before the failure
            }
            err.println(who + e.getMessage());
            return 1;
        }
        report(out, current, gpu, null);
        return 0;
    }

    /** What a person should know beyond the changes: what waits for the next start, and why. */
    private void noteAttach(ManagedGpu gpu, String name, DomainDefinition live, boolean hotplug, List<Change> changes) {
        if (!gpu.holder().isEmpty() && !gpu.holder().equals(name)) {
            notes.add(gpu.address() + " is claimed by " + gpu.holder() + " now: " + name + " can start with it once "
                    + gpu.holder() + " has released it");
        } else if (live != null && !hotplug && changes.stream().anyMatch(c -> c.action() == HostdevChanges.Action.ADD)) {
            notes.add(name + " is running and " + gpu.address() + " is not claimed for it: changed the persistent config "
                    + "only; the GPU comes with the next start (the hook claims it then)");
        }
        // define changes the persistent definition only: the running one keeps what it started with.
        boolean liveManaged = live != null && changes.stream().filter(c -> c.action() == HostdevChanges.Action.SET_UNMANAGED)
                .flatMap(c -> c.addresses().stream())
                .anyMatch(a -> live.hostdevs().containsKey(a) && live.hostdevs().get(a).managed());
        if (liveManaged) {
            notes.add(name + " runs with managed='yes' until it is shut down and started again");
        }
    }

    /** One virsh call per change, in order; stops at the first failure (the earlier changes stay, and are reported). */
    private void apply(Virsh virsh, String name, List<Change> changes) throws LibvirtException {
        if (changes.isEmpty()) {
            return;
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("gpupassctl-"); // rwx------
        } catch (IOException e) {
            throw new LibvirtException(LibvirtException.Kind.FAILED, "cannot write the XML for virsh: " + e.getMessage());
        }
        try {
            for (Change c : changes) {
                Path file = write(dir, c.addresses().get(0).nodedevName() + ".xml", c.xml());
                try {
                    switch (c.action()) {
                        case ADD -> virsh.attachDevice(name, file, c.config(), c.live());
                        case REMOVE -> virsh.detachDevice(name, file, c.config(), c.live());
                        case SET_UNMANAGED -> virsh.define(name, file);
                    }
                } catch (LibvirtException e) {
                    throw new LibvirtException(e.kind(), (switch (c.action()) {
                        case ADD -> "adding ";
                        case REMOVE -> "removing ";
                        case SET_UNMANAGED -> "setting managed='no' on ";
                    }) + join(c.addresses()) + " (" + where(c.config(), c.live()) + "): " + e.getMessage());
                }
                c.addresses().forEach(a -> done.add(changeJson(c, a)));
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // Left behind in a folder only its owner can read.
            }
        }
    }

    /** Owner-only: a whole domain's XML has its VNC/SPICE passwords (--security-info). */
    private static Path write(Path dir, String file, String text) throws LibvirtException {
        try {
            Path p = Files.createFile(dir.resolve(file), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
            return Files.writeString(p, text);
        } catch (IOException e) {
            throw new LibvirtException(LibvirtException.Kind.FAILED, "cannot write the XML for virsh: " + e.getMessage());
        }
    }

    private static Map<String, Object> changeJson(Change c, PciAddress address) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("change", switch (c.action()) {
            case ADD -> "added";
            case SET_UNMANAGED -> "managed-no";
            case REMOVE -> "removed";
        });
        m.put("address", address.toString());
        m.put("config", c.config());
        m.put("live", c.live());
        return m;
    }

    private void report(PrintStream out, DomainDefinition current, Optional<ManagedGpu> gpu, String error) {
        String name = current == null ? domain : current.name();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("domain", name);
            m.put("uri", uri);
            m.put("running", current != null && current.running());
            m.put("gpu", gpu.map(g -> g.address().toString()).orElse(null));
            m.put("functions", gpu.map(g -> g.functions().stream().map(PciAddress::toString).toList()).orElse(List.of()));
            m.put("changes", done);
            m.put("notes", notes);
            if (error != null) {
                m.put("error", error);
            }
            out.println(Json.of(m));
            return;
        }
        for (Map<String, Object> c : done) {
            out.println(name + ": " + switch ((String) c.get("change")) {
                case "added" -> "added " + c.get("address") + " with managed='no'";
                case "managed-no" -> c.get("address") + " was managed='yes', now managed='no'";
                default -> "removed " + c.get("address");
            } + " (" + where((Boolean) c.get("config"), (Boolean) c.get("live")) + ")");
        }
        if (error == null && done.isEmpty()) {
            out.println(name + ": " + gpu.map(g -> attach
                    ? "already has every function of GPU " + g.address() + " (" + join(g.functions()) + ") with managed='no'"
                    : "has no hostdev of GPU " + g.address()).orElse("has no hostdev of a GPU gpupassd manages")
                    + ": nothing changed");
        }
        notes.forEach(n -> out.println("note: " + n));
    }

    private static String where(boolean config, boolean live) {
        return config && live ? "persistent config and running domain" : config ? "persistent config" : "running domain";
    }

    private static String join(List<PciAddress> addresses) {
        return String.join(", ", addresses.stream().map(PciAddress::toString).toList());
    }
}
