package org.gpupass.host.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.gpupass.host.Consoles;
import org.gpupass.host.DeviceNodes;
import org.gpupass.host.Errno;
import org.gpupass.host.Host;
import org.gpupass.host.KernelModules;
import org.gpupass.host.PciBus;
import org.gpupass.host.UnitControl;
import org.gpupass.host.sim.HostDrafts.DeviceDraft;
import org.gpupass.model.PciAddress;

/**
 * An in-memory host that keeps the kernel's PCI driver-core rules (bind, unbind, driver_override,
 * drivers_probe, remove, rescan, module use counts, /dev/vfio/N) and can be told to fail or hang any write.
 *
 * <p>One model per facility, as the host ports are cut: {@link SimPciBus} (the driver core),
 * {@link SimModules}, {@link SimProcesses} (processes, open nodes, units), {@link SimDeviceNodes},
 * {@link SimConsoles}; every one of them under the one monitor of {@link SimWrites}, which also logs
 * every write and injects faults and hangs. Thread-safe. See docs/simulated-hosts.md.
 */
public final class SimulatedKernel {

    /** The mutating calls, as named in faults and in the write log. */
    public enum Op {
        SET_OVERRIDE, UNBIND, DRIVERS_PROBE, BIND, REMOVE, RESCAN, LOAD_MODULE, UNLOAD_MODULE, STOP_UNIT, START_UNIT,
        UNBIND_CONSOLE, BIND_CONSOLE, UNBIND_FRAMEBUFFER, BIND_FRAMEBUFFER
    }

    /** The built-in host used when {@code --simulate} names none. */
    public static final String DEFAULT_HOST = "dual-gpu";

    private static final List<String> BUILT_IN = List.of("dual-gpu", "single-gpu", "shared-group");

    private final SimParts parts = new SimParts();
    private final Host host;

    SimulatedKernel(SimulatedHostBuilder b) {
        parts.writes = new SimWrites(() -> parts.processes.markStaleFiles(parts.nodes.all()));
        parts.modules = new SimModules(parts, b.modules, b.extraUsers);
        parts.pci = new SimPciBus(parts, b.iommu, b.drivers);
        parts.processes = new SimProcesses(parts);
        parts.nodes = new SimDeviceNodes(parts);
        parts.consoles = new SimConsoles(parts);
        b.loads.forEach(parts.modules::loadQuietly);
        int nextGroup = b.devices.values().stream().mapToInt(d -> d.group).max().orElse(-1) + 1;
        for (HostDrafts.DeviceDraft described : b.devices.values()) {
            HostDrafts.DeviceDraft draft = described.copy();
            if (draft.group < 0) {
                draft.group = nextGroup++;
            }
            parts.pci.add(draft);
        }
        b.freeProcesses.forEach(parts.processes::spawn);
        b.consoles.values().forEach(c -> parts.consoles.addConsole(c.vtcon(), c.name(), c.bound()));
        b.framebuffers.values().forEach(f -> parts.consoles.addFramebuffer(f.device(), f.driver(), f.bound()));
        b.units.values().forEach(u -> parts.processes.addUnit(u.name, u.processes, u.active));
        host = new Host(parts.pci, parts.nodes, parts.modules, parts.processes, parts.consoles);
    }

    // ---------------------------------------------------------------- construction

    /** A builder over the standard module and driver catalogue. */
    public static SimulatedHostBuilder builder() {
        return new SimulatedHostBuilder();
    }

    /** The names {@link #builtIn(String)} accepts: {@code dual-gpu}, {@code single-gpu}, {@code shared-group}. */
    public static List<String> builtInNames() {
        return BUILT_IN;
    }

    /** One of the spec's built-in hosts; an unknown name is a {@link HostFileException} listing the names. */
    public static SimulatedKernel builtIn(String name) throws HostFileException {
        if (!BUILT_IN.contains(name)) {
            throw new HostFileException(String.valueOf(name), 0,
                    "no such built-in simulated host (built-in: " + String.join(", ", BUILT_IN) + ")");
        }
        return parse(HostFileParser.resource(name + ".host"), name);
    }

    /** A host described in a file of the host format. */
    public static SimulatedKernel fromFile(Path file) throws IOException, HostFileException {
        return parse(HostFileParser.read(file), file.toString());
    }

    /** A host described by text in the host format; {@code source} names it in errors. */
    public static SimulatedKernel parse(String text, String source) throws HostFileException {
        SimulatedHostBuilder b = builder();
        HostFileParser.applyHost(text, source, b);
        try {
            return b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new HostFileException(source, 0, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- the ports

    /** The five ports over this kernel, as the daemon uses them. */
    public Host host() {
        return host;
    }

    public PciBus pci() {
        return parts.pci;
    }

    public DeviceNodes nodes() {
        return parts.nodes;
    }

    public KernelModules modules() {
        return parts.modules;
    }

    public UnitControl units() {
        return parts.processes;
    }

    public Consoles consoles() {
        return parts.consoles;
    }

    // ---------------------------------------------------------------- processes and module users (for tests)

    /**
     * Starts a process outside the unit machinery; {@code opens} are device addresses (all their nodes now) and
     * /dev paths. A path that does not exist is an {@link IllegalArgumentException}, as open(2) would fail.
     *
     * @return its pid
     */
    public int spawn(String command, int uid, String unit, String... opens) {
        synchronized (parts.writes.lock) {
            for (String what : opens) {
                if (PciAddress.tryParse(what) == null && !parts.nodes.all().containsKey(what)) {
                    throw new IllegalArgumentException(what + " does not exist");
                }
            }
            int pid = parts.processes.spawn(new ProcessTemplate(command, uid, unit, List.of(opens)));
            parts.writes.lock.notifyAll();
            return pid;
        }
    }

    /** Kills a process: its files close (a write waiting for that, like nvidia's unbind, then goes on). */
    public boolean kill(int pid) {
        synchronized (parts.writes.lock) {
            boolean killed = parts.processes.kill(pid);
            parts.writes.lock.notifyAll();
            return killed;
        }
    }

    /** The pids of a unit's running processes ({@code ""}: those outside any unit), ascending. */
    public List<Integer> pidsOf(String unit) {
        synchronized (parts.writes.lock) {
            return parts.processes.pidsOf(unit);
        }
    }

    /** Takes one more reference on a loaded module, as another kernel user would. */
    public void addModuleUser(String module) {
        synchronized (parts.writes.lock) {
            parts.modules.addUser(module);
        }
    }

    /** Drops a reference taken with {@link #addModuleUser}. */
    public void dropModuleUser(String module) {
        synchronized (parts.writes.lock) {
            parts.modules.dropUser(module);
        }
    }

    /**
     * Wedges a function the way some GPUs come back from a VM: probing passes it by and bind
     * answers ENODEV until it is removed and the bus rescanned. Not a write; not logged.
     */
    public void wedge(PciAddress function) {
        synchronized (parts.writes.lock) {
            SimPciBus.Device d = parts.pci.device(function);
            if (d == null) {
                throw new IllegalArgumentException("no device " + function);
            }
            d.wedged = true;
        }
    }

    // ---------------------------------------------------------------- faults and the write log

    /**
     * Every later {@code op} on {@code target} (an address like {@code 0000:01:00.1}, a module or unit name,
     * {@code ""} for rescan, or {@code "*"}) fails with {@code errno} and changes nothing, until {@link #clearFaults()}.
     */
    public void failOn(Op op, String target, Errno errno) {
        parts.writes.failOn(op, target, errno);
    }

    /** Every later {@code op} on {@code target} hangs, changing nothing, until released; see {@link #failOn}. */
    public void hangOn(Op op, String target) {
        parts.writes.failOn(op, target, null);
    }

    /** The n-th mutating call from now (1 = the next one) fails with {@code errno}. */
    public void failWrite(int n, Errno errno) {
        parts.writes.faultWrite(n, errno);
    }

    /** The n-th mutating call from now (1 = the next one) hangs. */
    public void hangWrite(int n) {
        parts.writes.faultWrite(n, null);
    }

    /** Forgets every fault not yet used; calls hanging now keep hanging. */
    public void clearFaults() {
        parts.writes.clearFaults();
    }

    /** Every call hanging now returns EIO, having changed nothing. */
    public void releaseHangs() {
        parts.writes.releaseHangs();
    }

    /** Every injected hang now goes through and does its write (which may then block on its own, like nvidia's unbind). */
    public void completeHangs() {
        parts.writes.completeHangs();
    }

    /** How many calls are hanging now. */
    public int hungCount() {
        return parts.writes.hungCount();
    }

    /** Waits (on the monitor, not sleeping) until at least {@code n} calls hang; whether they do at return. */
    public boolean awaitHung(int n, Duration timeout) throws InterruptedException {
        return parts.writes.await(() -> parts.writes.hungCount() >= n, timeout);
    }

    /** Every mutating call so far, in call order (a hung call shows {@code hung} until it returns). */
    public List<WriteRecord> writeLog() {
        return parts.writes.log();
    }

    /** How many mutating calls were made, failed and hung ones included. */
    public int writeCount() {
        return parts.writes.count();
    }
}
