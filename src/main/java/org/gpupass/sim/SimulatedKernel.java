package org.gpupass.sim;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.gpupass.core.PciAddress;
import org.gpupass.core.PciDevice;
import org.gpupass.host.Errno;
import org.gpupass.host.Host;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.ModuleInfo;
import org.gpupass.host.NodeHolder;

/**
 * An in-memory host that keeps the kernel's PCI driver-core rules (bind, unbind, driver_override,
 * drivers_probe, remove, rescan, module use counts, /dev/vfio/N) and can be told to fail or hang any write.
 *
 * <p>Thread-safe: all state sits under one monitor. A hanging write waits on that monitor, so it holds
 * nothing while it hangs; reads and other writes go on. A hung write ends when {@link #releaseHangs()} is
 * called (it then fails with EIO and changes nothing), when {@link #completeHangs()} lets injected hangs go
 * through, when what it waits for happens (nvidia's unbind once the nodes are closed), or when its thread is
 * interrupted ({@link InterruptedIOException}, interrupt flag kept). See docs/simulated-hosts.md.
 */
public final class SimulatedKernel implements Host {

    /** The mutating calls, as named in faults and in the write log. */
    public enum Op {
        SET_OVERRIDE, UNBIND, DRIVERS_PROBE, BIND, REMOVE, RESCAN, LOAD_MODULE, UNLOAD_MODULE, STOP_UNIT, START_UNIT,
        UNBIND_CONSOLE, BIND_CONSOLE, UNBIND_FRAMEBUFFER, BIND_FRAMEBUFFER
    }

    /** The built-in host used when {@code --simulate} names none. */
    public static final String DEFAULT_HOST = "dual-gpu";

    private static final List<String> BUILT_IN = List.of("dual-gpu", "single-gpu", "shared-group");
    private static final String PCI = "/sys/bus/pci";

    private static final class Device {
        final SimulatedHostBuilder.DeviceDraft spec;
        String driver;
        String override;
        boolean present = true;
        /** Wedged: probing passes it by and bind answers ENODEV until a remove and rescan. */
        boolean wedged;

        Device(SimulatedHostBuilder.DeviceDraft spec) {
            this.spec = spec;
            this.driver = spec.driver;
            this.override = spec.override;
        }
    }

    private static final class OpenFile {
        final String node;
        final String module;
        /** The node is gone (driver unbound, device removed); the file stays open and keeps its reference. */
        boolean stale;

        OpenFile(String node, String module) {
            this.node = node;
            this.module = module;
        }
    }

    private record Proc(int pid, String command, int uid, String unit, List<OpenFile> files) {
    }

    /** A virtual console; {@code (S)} in its name marks the system driver, which takes over unbound consoles. */
    private static final class Console {
        final String name;
        boolean bound;

        Console(String name, boolean bound) {
            this.name = name;
            this.bound = bound;
        }

        boolean system() {
            return name.startsWith("(S)");
        }
    }

    /** A firmware framebuffer platform device and the one platform driver that takes it. */
    private static final class Framebuffer {
        final String driver;
        boolean bound;

        Framebuffer(String driver, boolean bound) {
            this.driver = driver;
            this.bound = bound;
        }
    }

    private record Node(String path, String module) {
    }

    private enum HangEnd { PENDING, RELEASE, COMPLETE }

    private static final class Hang {
        HangEnd end = HangEnd.PENDING;
        final boolean injected;

        Hang(boolean injected) {
            this.injected = injected;
        }
    }

    /** One write's effect: does it and returns null, throws, or changes nothing and returns what blocks it. */
    @FunctionalInterface
    private interface Step {
        BooleanSupplier apply() throws KernelWriteException;
    }

    private final Object lock = new Object();
    private final boolean iommu;
    private final Map<String, ModuleSpec> moduleSpecs;
    private final Map<String, DriverSpec> driverSpecs;
    private final Map<PciAddress, Device> devices = new TreeMap<>();
    /** Each unit's processes, as started by startUnit. */
    private final Map<String, List<ProcessTemplate>> unitSpecs = new LinkedHashMap<>();
    /** Loaded modules in load order: drivers register, and are tried at probe, in this order. */
    private final Set<String> loaded = new LinkedHashSet<>();
    private final Map<String, Integer> extraUsers;
    private final Set<String> activeUnits = new HashSet<>();
    private final Map<Integer, Proc> processes = new TreeMap<>();
    private final Map<PciAddress, Integer> drmMinors = new HashMap<>();
    private final Map<PciAddress, Integer> nvidiaMinors = new HashMap<>();
    private final Map<PciAddress, Integer> soundCards = new HashMap<>();
    private final Faults faults = new Faults();
    private final List<WriteRecord> log = new ArrayList<>();
    private final List<Hang> hangs = new ArrayList<>();
    /** Virtual consoles by vtcon name, in number order. */
    private final Map<String, Console> consoles = new TreeMap<>(
            java.util.Comparator.comparingInt(String::length).thenComparing(java.util.Comparator.naturalOrder()));
    private final Map<String, Framebuffer> framebuffers = new TreeMap<>();
    private int nextPid = 1001;

    SimulatedKernel(SimulatedHostBuilder b) {
        iommu = b.iommu;
        moduleSpecs = Map.copyOf(b.modules);
        driverSpecs = new LinkedHashMap<>(b.drivers);
        extraUsers = new HashMap<>(b.extraUsers);
        moduleSpecs.values().stream().filter(ModuleSpec::builtin).map(ModuleSpec::name)
                .sorted().forEach(loaded::add);
        b.loads.forEach(m -> loadWithDeps(m, false));
        int nextGroup = b.devices.values().stream().mapToInt(d -> d.group).max().orElse(-1) + 1;
        for (SimulatedHostBuilder.DeviceDraft described : b.devices.values()) {
            SimulatedHostBuilder.DeviceDraft draft = described.copy();
            if (draft.group < 0) {
                draft.group = nextGroup++;
            }
            Device d = new Device(draft);
            devices.put(draft.address, d);
            if (!d.driver.isEmpty()) {
                loadWithDeps(driverSpecs.get(d.driver).module(), false);
                allocateMinors(d);
            }
        }
        b.freeProcesses.forEach(this::spawn);
        b.consoles.values().forEach(c -> consoles.put(c.vtcon(), new Console(c.name(), c.bound())));
        b.framebuffers.values().forEach(f -> framebuffers.put(f.device(), new Framebuffer(f.driver(), f.bound())));
        for (SimulatedHostBuilder.UnitDraft u : b.units.values()) {
            unitSpecs.put(u.name, List.copyOf(u.processes));
            if (u.active) {
                activeUnits.add(u.name);
                u.processes.forEach(this::spawn);
            }
        }
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

    // ---------------------------------------------------------------- Host: reads

    @Override
    public List<PciDevice> pciDevices() {
        synchronized (lock) {
            List<PciDevice> out = new ArrayList<>();
            for (Device d : devices.values()) {
                if (d.present) {
                    SimulatedHostBuilder.DeviceDraft s = d.spec;
                    List<PciAddress> consumers = s.consumers.stream().filter(this::present).toList();
                    out.add(new PciDevice(s.address, s.vendor, s.device, s.classCode, s.name, d.driver, d.override,
                            iommu ? s.group : -1, s.bootVga, consumers));
                }
            }
            return out;
        }
    }

    @Override
    public Optional<String> driverOf(PciAddress function) {
        synchronized (lock) {
            Device d = devices.get(function);
            return d != null && d.present ? Optional.of(d.driver) : Optional.empty();
        }
    }

    @Override
    public boolean iommuEnabled() {
        return iommu;
    }

    @Override
    public List<String> deviceNodes(PciAddress function) {
        synchronized (lock) {
            Device d = devices.get(function);
            return d == null ? List.of() : nodesOf(d).stream().map(Node::path).toList();
        }
    }

    @Override
    public List<NodeHolder> holders(Collection<String> nodes) {
        Set<String> wanted = new HashSet<>(nodes);
        synchronized (lock) {
            List<NodeHolder> out = new ArrayList<>();
            for (Proc p : processes.values()) {
                for (OpenFile f : p.files) {
                    if (!f.stale && wanted.contains(f.node)) {
                        out.add(new NodeHolder(p.pid, p.command, p.uid, p.unit, f.node));
                    }
                }
            }
            return out;
        }
    }

    @Override
    public boolean exists(String devPath) {
        synchronized (lock) {
            return allNodes().containsKey(devPath);
        }
    }

    @Override
    public boolean awaitPath(String devPath, Duration timeout) throws InterruptedException {
        return awaitState(() -> allNodes().containsKey(devPath), timeout);
    }

    @Override
    public Map<String, ModuleInfo> modules() {
        synchronized (lock) {
            Map<String, ModuleInfo> out = new TreeMap<>();
            for (String m : loaded) {
                if (!moduleSpecs.get(m).builtin()) {
                    out.put(m, new ModuleInfo(m, useCount(m), usedBy(m)));
                }
            }
            return out;
        }
    }

    /** Empty when the driver's module is not loaded, and for built-in drivers (sysfs has no module link then). */
    @Override
    public Optional<String> moduleOfDriver(String driver) {
        synchronized (lock) {
            DriverSpec d = loadedDriver(driver);
            return d == null || moduleSpecs.get(d.module()).builtin() ? Optional.empty() : Optional.of(d.module());
        }
    }

    @Override
    public boolean unitActive(String unit) {
        synchronized (lock) {
            return activeUnits.contains(unit);
        }
    }

    // ---------------------------------------------------------------- Host: writes

    /** Only stored; a newline ends the value (as the kernel strips it); {@code ""} clears. ENOENT when removed. */
    @Override
    public void setDriverOverride(PciAddress function, String driver) throws IOException {
        String value = driver.contains("\n") ? driver.substring(0, driver.indexOf('\n')) : driver;
        String path = PCI + "/devices/" + function + "/driver_override";
        write(Op.SET_OVERRIDE, function.toString(), value, path, () -> {
            presentOr(function, Errno.ENOENT, path).override = value;
            return null;
        });
    }

    /** ENOENT when the driver is not registered (no such directory), ENODEV when the device is not bound to it. */
    @Override
    public void unbind(PciAddress function, String driver) throws IOException {
        String path = PCI + "/drivers/" + driver + "/unbind";
        write(Op.UNBIND, function.toString(), driver, path, () -> {
            DriverSpec drv = loadedDriverOr(driver, path);
            Device d = devices.get(function);
            if (d == null || !d.present || !d.driver.equals(driver)) {
                throw new KernelWriteException(path, Errno.ENODEV, function + " is not bound to " + driver);
            }
            return detach(d, drv);
        });
    }

    /** Success when bound already, and also when no driver takes the device (it stays unbound). */
    @Override
    public void driversProbe(PciAddress function) throws IOException {
        String path = PCI + "/drivers_probe";
        write(Op.DRIVERS_PROBE, function.toString(), "", path, () -> {
            probe(presentOr(function, Errno.ENODEV, path));
            return null;
        });
    }

    /** ENOENT when the driver is not registered; ENODEV when bound or not matched; the probe's error (EINVAL for vfio-pci without IOMMU). */
    @Override
    public void bind(PciAddress function, String driver) throws IOException {
        String path = PCI + "/drivers/" + driver + "/bind";
        write(Op.BIND, function.toString(), driver, path, () -> {
            DriverSpec drv = loadedDriverOr(driver, path);
            Device d = presentOr(function, Errno.ENODEV, path);
            if (!d.driver.isEmpty()) {
                throw new KernelWriteException(path, Errno.ENODEV, function + " is bound to " + d.driver);
            }
            if (d.wedged) {
                throw new KernelWriteException(path, Errno.ENODEV, function + " is wedged until removed and rescanned");
            }
            if (!matches(d, drv)) {
                throw new KernelWriteException(path, Errno.ENODEV, driver + " does not match " + function);
            }
            Errno refused = probeError(drv);
            if (refused != null) {
                throw new KernelWriteException(path, refused, driver + " probe failed: no IOMMU group");
            }
            attach(d, drv);
            return null;
        });
    }

    /** The device and its nodes go; its driver is detached first (which can block, as unbind does). */
    @Override
    public void remove(PciAddress function) throws IOException {
        String path = PCI + "/devices/" + function + "/remove";
        write(Op.REMOVE, function.toString(), "", path, () -> {
            Device d = presentOr(function, Errno.ENOENT, path);
            if (!d.driver.isEmpty()) {
                BooleanSupplier blocked = detach(d, driverSpecs.get(d.driver));
                if (blocked != null) {
                    return blocked;
                }
            }
            d.present = false;
            return null;
        });
    }

    /** Removed devices come back with driver_override cleared and are probed, in address order. */
    @Override
    public void rescan() throws IOException {
        write(Op.RESCAN, "", "", PCI + "/rescan", () -> {
            for (Device d : devices.values()) {
                if (!d.present) {
                    d.present = true;
                    d.override = "";
                    d.wedged = false;
                    probe(d);
                }
            }
            return null;
        });
    }

    /** Like modprobe: dependencies first; each new driver probes the unbound devices it matches. ENOENT when unknown. */
    @Override
    public void loadModule(String module) throws IOException {
        write(Op.LOAD_MODULE, module, "", "modprobe " + module, () -> {
            if (!moduleSpecs.containsKey(module)) {
                throw new KernelWriteException("modprobe " + module, Errno.ENOENT, "module " + module + " not found");
            }
            loadWithDeps(module, true);
            return null;
        });
    }

    /**
     * Like rmmod: ENOENT when not loaded and for built-in modules (delete_module finds no such module; kmod
     * says "Module X is builtin"), EBUSY while its use count is above 0; else its devices are unbound.
     */
    @Override
    public void unloadModule(String module) throws IOException {
        String path = "rmmod " + module;
        write(Op.UNLOAD_MODULE, module, "", path, () -> {
            ModuleSpec spec = moduleSpecs.get(module);
            if (spec != null && spec.builtin()) {
                throw new KernelWriteException(path, Errno.ENOENT, "module " + module + " is builtin");
            }
            if (spec == null || !loaded.contains(module)) {
                throw new KernelWriteException(path, Errno.ENOENT, "module " + module + " is not loaded");
            }
            int uses = useCount(module);
            if (uses > 0) {
                throw new KernelWriteException(path, Errno.EBUSY, "module " + module + " is in use (" + uses
                        + (usedBy(module).isEmpty() ? "" : ", by " + String.join(",", usedBy(module))) + ")");
            }
            for (Device d : devices.values()) {
                DriverSpec drv = driverSpecs.get(d.driver);
                if (d.present && drv != null && drv.module().equals(module)) {
                    d.driver = "";
                }
            }
            loaded.remove(module);
            return null;
        });
    }

    /** Kills the unit's processes (their files close); a no-op when inactive; ENOENT for an unknown unit. */
    @Override
    public void stopUnit(String unit) throws IOException {
        write(Op.STOP_UNIT, unit, "", "systemctl stop " + unit, () -> {
            unitOr(unit, "systemctl stop " + unit);
            activeUnits.remove(unit);
            processes.values().removeIf(p -> p.unit.equals(unit));
            return null;
        });
    }

    /** Spawns the unit's processes with fresh pids, opening the nodes their devices have now; no-op when active. */
    @Override
    public void startUnit(String unit) throws IOException {
        write(Op.START_UNIT, unit, "", "systemctl start " + unit, () -> {
            List<ProcessTemplate> templates = unitOr(unit, "systemctl start " + unit);
            if (activeUnits.add(unit)) {
                templates.forEach(this::spawn);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- virtual consoles and firmware framebuffers

    @Override
    public List<String> framebufferConsoles() {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            consoles.forEach((vtcon, c) -> {
                if (c.bound && c.name.contains("frame buffer")) {
                    out.add(vtcon);
                }
            });
            return out;
        }
    }

    /**
     * ENOENT for an unknown vtcon. Unbinding a bound modular {@code (M)} console hands the consoles to the
     * system {@code (S)} driver (its {@code bind} then reads 1); a system or unbound one is left as it is.
     */
    @Override
    public void unbindConsole(String vtcon) throws IOException {
        String path = "/sys/class/vtconsole/" + vtcon + "/bind";
        write(Op.UNBIND_CONSOLE, vtcon, "", path, () -> {
            Console c = consoleOr(vtcon, path);
            if (c.bound && !c.system()) {
                c.bound = false;
                if (consoles.values().stream().noneMatch(o -> o.bound && !o.system())) {
                    consoles.values().stream().filter(Console::system).forEach(o -> o.bound = true);
                }
            }
            return null;
        });
    }

    /** ENOENT for an unknown vtcon; binding a modular console takes the consoles from the system driver. */
    @Override
    public void bindConsole(String vtcon) throws IOException {
        String path = "/sys/class/vtconsole/" + vtcon + "/bind";
        write(Op.BIND_CONSOLE, vtcon, "", path, () -> {
            Console c = consoleOr(vtcon, path);
            if (!c.bound) {
                c.bound = true;
                if (!c.system()) {
                    consoles.values().stream().filter(Console::system).forEach(o -> o.bound = false);
                }
            }
            return null;
        });
    }

    @Override
    public List<org.gpupass.host.Framebuffer> firmwareFramebuffers() {
        synchronized (lock) {
            List<org.gpupass.host.Framebuffer> out = new ArrayList<>();
            framebuffers.forEach((device, f) -> {
                if (f.bound) {
                    out.add(new org.gpupass.host.Framebuffer(device, f.driver));
                }
            });
            return out;
        }
    }

    /** ENOENT when no framebuffer names the driver (no such directory); ENODEV when the device is not bound to it. */
    @Override
    public void unbindFramebuffer(String driver, String device) throws IOException {
        String path = "/sys/bus/platform/drivers/" + driver + "/unbind";
        write(Op.UNBIND_FRAMEBUFFER, device, driver, path, () -> {
            platformDriverOr(driver, path);
            Framebuffer f = framebuffers.get(device);
            if (f == null || !f.bound || !f.driver.equals(driver)) {
                throw new KernelWriteException(path, Errno.ENODEV, device + " is not bound to " + driver);
            }
            f.bound = false;
            return null;
        });
    }

    /** ENOENT when no framebuffer names the driver; ENODEV when the device is unknown, bound, or not the driver's. */
    @Override
    public void bindFramebuffer(String driver, String device) throws IOException {
        String path = "/sys/bus/platform/drivers/" + driver + "/bind";
        write(Op.BIND_FRAMEBUFFER, device, driver, path, () -> {
            platformDriverOr(driver, path);
            Framebuffer f = framebuffers.get(device);
            if (f == null || f.bound || !f.driver.equals(driver)) {
                throw new KernelWriteException(path, Errno.ENODEV, f == null ? "no device " + device
                        : f.bound ? device + " is bound" : driver + " does not match " + device);
            }
            f.bound = true;
            return null;
        });
    }

    // ---------------------------------------------------------------- processes and module users (for tests)

    /**
     * Starts a process outside the unit machinery; {@code opens} are device addresses (all their nodes now) and
     * /dev paths. A path that does not exist is an {@link IllegalArgumentException}, as open(2) would fail.
     *
     * @return its pid
     */
    public int spawn(String command, int uid, String unit, String... opens) {
        synchronized (lock) {
            for (String what : opens) {
                if (PciAddress.tryParse(what) == null && !allNodes().containsKey(what)) {
                    throw new IllegalArgumentException(what + " does not exist");
                }
            }
            int pid = spawn(new ProcessTemplate(command, uid, unit, List.of(opens)));
            lock.notifyAll();
            return pid;
        }
    }

    /** Kills a process: its files close (a write waiting for that, like nvidia's unbind, then goes on). */
    public boolean kill(int pid) {
        synchronized (lock) {
            boolean killed = processes.remove(pid) != null;
            lock.notifyAll();
            return killed;
        }
    }

    /** The pids of a unit's running processes ({@code ""}: those outside any unit), ascending. */
    public List<Integer> pidsOf(String unit) {
        synchronized (lock) {
            return processes.values().stream().filter(p -> p.unit.equals(unit)).map(Proc::pid).toList();
        }
    }

    /** Takes one more reference on a loaded module, as another kernel user would. */
    public void addModuleUser(String module) {
        synchronized (lock) {
            if (!loaded.contains(module)) {
                throw new IllegalArgumentException(module + " is not loaded");
            }
            extraUsers.merge(module, 1, Integer::sum);
        }
    }

    /** Drops a reference taken with {@link #addModuleUser}. */
    public void dropModuleUser(String module) {
        synchronized (lock) {
            if (extraUsers.getOrDefault(module, 0) == 0) {
                throw new IllegalArgumentException(module + " has no extra user");
            }
            extraUsers.merge(module, -1, Integer::sum);
        }
    }

    // ---------------------------------------------------------------- faults and the write log

    /**
     * Every later {@code op} on {@code target} (an address like {@code 0000:01:00.1}, a module or unit name,
     * {@code ""} for rescan, or {@code "*"}) fails with {@code errno} and changes nothing, until {@link #clearFaults()}.
     */
    public void failOn(Op op, String target, Errno errno) {
        synchronized (lock) {
            faults.addRule(op, target, errno);
        }
    }

    /** Every later {@code op} on {@code target} hangs, changing nothing, until released; see {@link #failOn}. */
    public void hangOn(Op op, String target) {
        synchronized (lock) {
            faults.addRule(op, target, null);
        }
    }

    /** The n-th mutating call from now (1 = the next one) fails with {@code errno}. */
    public void failWrite(int n, Errno errno) {
        if (n < 1) {
            throw new IllegalArgumentException("n is 1-based");
        }
        synchronized (lock) {
            faults.addForCall(log.size() + n, errno);
        }
    }

    /** The n-th mutating call from now (1 = the next one) hangs. */
    public void hangWrite(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n is 1-based");
        }
        synchronized (lock) {
            faults.addForCall(log.size() + n, null);
        }
    }

    /** Forgets every fault not yet used; calls hanging now keep hanging. */
    public void clearFaults() {
        synchronized (lock) {
            faults.clear();
        }
    }

    /** Every call hanging now returns EIO, having changed nothing. */
    public void releaseHangs() {
        endHangs(HangEnd.RELEASE);
    }

    /**
     * Wedges a function the way some GPUs come back from a VM: probing passes it by and bind
     * answers ENODEV until it is removed and the bus rescanned. Not a write; not logged.
     */
    public void wedge(PciAddress function) {
        synchronized (lock) {
            Device d = devices.get(function);
            if (d == null) {
                throw new IllegalArgumentException("no device " + function);
            }
            d.wedged = true;
        }
    }

    /** Every injected hang now goes through and does its write (which may then block on its own, like nvidia's unbind). */
    public void completeHangs() {
        synchronized (lock) {
            for (Hang h : hangs) {
                if (h.injected) {
                    h.end = HangEnd.COMPLETE;
                }
            }
            lock.notifyAll();
        }
    }

    /** How many calls are hanging now. */
    public int hungCount() {
        synchronized (lock) {
            return hangs.size();
        }
    }

    /** Waits (on the monitor, not sleeping) until at least {@code n} calls hang; whether they do at return. */
    public boolean awaitHung(int n, Duration timeout) throws InterruptedException {
        return awaitState(() -> hangs.size() >= n, timeout);
    }

    /** Waits on the monitor (every change notifies it) until {@code done} holds; whether it does at return. */
    private boolean awaitState(BooleanSupplier done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /** Every mutating call so far, in call order (a hung call shows {@code hung} until it returns). */
    public List<WriteRecord> writeLog() {
        synchronized (lock) {
            return List.copyOf(log);
        }
    }

    /** How many mutating calls were made, failed and hung ones included. */
    public int writeCount() {
        synchronized (lock) {
            return log.size();
        }
    }

    // ---------------------------------------------------------------- the write machinery

    private void write(Op op, String target, String value, String path, Step step) throws IOException {
        synchronized (lock) {
            long seq = log.size() + 1;
            String thread = Thread.currentThread().getName();
            int index = log.size();
            log.add(new WriteRecord(seq, thread, op, target, value, "running"));
            Faults.Fault fault = faults.take(op, target, seq);
            Hang hang = null;
            String outcome = "ok";
            try {
                if (fault != null && !fault.hangs()) {
                    throw new KernelWriteException(path, fault.errno(), "injected fault");
                }
                BooleanSupplier blocked = fault != null ? () -> true : step.apply();
                while (blocked != null) {
                    if (hang == null) {
                        hang = new Hang(fault != null);
                        hangs.add(hang);
                        log.set(index, new WriteRecord(seq, thread, op, target, value, "hung"));
                        lock.notifyAll();
                    }
                    while (hang.end == HangEnd.PENDING && blocked.getAsBoolean()) {
                        lock.wait();
                    }
                    if (hang.end == HangEnd.RELEASE) {
                        throw new KernelWriteException(path, Errno.EIO, "hung write released");
                    }
                    hang.end = HangEnd.PENDING;
                    blocked = step.apply();
                }
                markStaleFiles();
            } catch (KernelWriteException e) {
                outcome = e.errno().name();
                throw e;
            } catch (RuntimeException e) {
                outcome = "error " + e;
                throw e;
            } catch (InterruptedException e) {
                outcome = "interrupted";
                Thread.currentThread().interrupt();
                InterruptedIOException thrown = new InterruptedIOException(path + ": interrupted while hung");
                thrown.initCause(e);
                throw thrown;
            } finally {
                if (hang != null) {
                    hangs.remove(hang);
                    outcome = "hung then " + outcome;
                }
                log.set(index, new WriteRecord(seq, thread, op, target, value, outcome));
                lock.notifyAll();
            }
        }
    }

    private void endHangs(HangEnd end) {
        synchronized (lock) {
            hangs.forEach(h -> h.end = end);
            lock.notifyAll();
        }
    }

    // ---------------------------------------------------------------- kernel rules (lock held)

    private boolean present(PciAddress a) {
        Device d = devices.get(a);
        return d != null && d.present;
    }

    private Device presentOr(PciAddress a, Errno errno, String path) throws KernelWriteException {
        Device d = devices.get(a);
        if (d == null || !d.present) {
            throw new KernelWriteException(path, errno, "no device " + a);
        }
        return d;
    }

    private DriverSpec loadedDriver(String name) {
        DriverSpec d = driverSpecs.get(name);
        return d != null && loaded.contains(d.module()) ? d : null;
    }

    private DriverSpec loadedDriverOr(String name, String path) throws KernelWriteException {
        DriverSpec d = loadedDriver(name);
        if (d == null) {
            throw new KernelWriteException(path, Errno.ENOENT, "no driver " + name + " is registered");
        }
        return d;
    }

    private Console consoleOr(String vtcon, String path) throws KernelWriteException {
        Console c = consoles.get(vtcon);
        if (c == null) {
            throw new KernelWriteException(path, Errno.ENOENT, "no console " + vtcon);
        }
        return c;
    }

    private void platformDriverOr(String driver, String path) throws KernelWriteException {
        if (framebuffers.values().stream().noneMatch(f -> f.driver.equals(driver))) {
            throw new KernelWriteException(path, Errno.ENOENT, "no platform driver " + driver + " is registered");
        }
    }

    private List<ProcessTemplate> unitOr(String unit, String path) throws KernelWriteException {
        List<ProcessTemplate> u = unitSpecs.get(unit);
        if (u == null) {
            throw new KernelWriteException(path, Errno.ENOENT, "Unit " + unit + " not loaded.");
        }
        return u;
    }

    /** Registered drivers in registration order. */
    private List<DriverSpec> registeredDrivers() {
        List<DriverSpec> out = new ArrayList<>();
        for (String m : loaded) {
            for (DriverSpec d : driverSpecs.values()) {
                if (d.module().equals(m)) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    /** pci_match_device: an override names the only driver that matches, ID table or not. */
    private boolean matches(Device d, DriverSpec drv) {
        SimulatedHostBuilder.DeviceDraft s = d.spec;
        return d.override.isEmpty() ? drv.matchesIds(s.vendor, s.device, s.classCode) : d.override.equals(drv.name());
    }

    /** Why the driver's probe would refuse (vfio-pci without an IOMMU group), or null. */
    private Errno probeError(DriverSpec drv) {
        return drv.nodes().contains(NodeKind.VFIO) && !iommu ? Errno.EINVAL : null;
    }

    /** drivers_probe / device_attach: the first registered matching driver whose probe succeeds. */
    private void probe(Device d) {
        if (!d.driver.isEmpty() || d.wedged) {
            return;
        }
        for (DriverSpec drv : registeredDrivers()) {
            if (matches(d, drv) && probeError(drv) == null) {
                attach(d, drv);
                return;
            }
        }
    }

    private void attach(Device d, DriverSpec drv) {
        d.driver = drv.name();
        allocateMinors(d);
    }

    /** Detaches the driver, or returns what blocks it (open nodes, for drivers that wait for them). */
    private BooleanSupplier detach(Device d, DriverSpec drv) {
        if (drv.unbindWaitsForClose()) {
            Set<String> nodes = new HashSet<>();
            nodesOf(d).forEach(n -> nodes.add(n.path()));
            if (openAnyOf(nodes)) {
                return () -> openAnyOf(nodes);
            }
        }
        d.driver = "";
        return null;
    }

    private boolean openAnyOf(Set<String> nodes) {
        for (Proc p : processes.values()) {
            for (OpenFile f : p.files) {
                if (!f.stale && nodes.contains(f.node)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void loadWithDeps(String module, boolean probe) {
        if (loaded.contains(module)) {
            return;
        }
        ModuleSpec spec = moduleSpecs.get(module);
        spec.deps().forEach(dep -> loadWithDeps(dep, probe));
        loaded.add(module);
        if (probe) {
            for (DriverSpec drv : driverSpecs.values()) {
                if (drv.module().equals(module)) {
                    for (Device d : devices.values()) {
                        if (d.present && d.driver.isEmpty() && matches(d, drv) && probeError(drv) == null) {
                            attach(d, drv);
                        }
                    }
                }
            }
        }
    }

    private int useCount(String module) {
        int count = usedBy(module).size() + extraUsers.getOrDefault(module, 0);
        if (moduleSpecs.get(module).pins()) {
            for (Proc p : processes.values()) {
                for (OpenFile f : p.files) {
                    if (f.module.equals(module)) {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    private List<String> usedBy(String module) {
        List<String> out = new ArrayList<>();
        for (String m : new TreeSet<>(loaded)) {
            if (moduleSpecs.get(m).deps().contains(module)) {
                out.add(m);
            }
        }
        return out;
    }

    private void allocateMinors(Device d) {
        Set<NodeKind> kinds = driverSpecs.get(d.driver).nodes();
        if (kinds.contains(NodeKind.DRM)) {
            drmMinors.computeIfAbsent(d.spec.address, a -> drmMinors.size());
        }
        if (kinds.contains(NodeKind.NVIDIA)) {
            nvidiaMinors.computeIfAbsent(d.spec.address, a -> nvidiaMinors.size());
        }
        if (kinds.contains(NodeKind.SOUND)) {
            soundCards.computeIfAbsent(d.spec.address, a -> soundCards.size());
        }
    }

    /** The device's own nodes now, each with the module that owns it. */
    private List<Node> nodesOf(Device d) {
        List<Node> out = new ArrayList<>();
        DriverSpec drv = d.present ? driverSpecs.get(d.driver) : null;
        if (drv == null) {
            return out;
        }
        PciAddress a = d.spec.address;
        if (drv.nodes().contains(NodeKind.NVIDIA)) {
            out.add(new Node("/dev/nvidia" + nvidiaMinors.get(a), drv.module()));
        }
        String drmOwner = drv.drmVia() == null ? drv.module() : drv.drmVia();
        if (drv.nodes().contains(NodeKind.DRM) && loaded.contains(drmOwner)) {
            int n = drmMinors.get(a);
            out.add(new Node("/dev/dri/card" + n, drmOwner));
            out.add(new Node("/dev/dri/renderD" + (128 + n), drmOwner));
        }
        if (drv.nodes().contains(NodeKind.SOUND)) {
            int c = soundCards.get(a);
            out.add(new Node("/dev/snd/controlC" + c, drv.module()));
            out.add(new Node("/dev/snd/pcmC" + c + "D3p", drv.module()));
            out.add(new Node("/dev/snd/hwC" + c + "D0", drv.module()));
        }
        return out;
    }

    /** Every node under /dev now: devices' own, modules' driver-wide ones, and /dev/vfio/GROUP. */
    private Map<String, String> allNodes() {
        Map<String, String> out = new HashMap<>();
        for (String m : loaded) {
            moduleSpecs.get(m).devNodes().forEach(n -> out.put(n, m));
        }
        for (Device d : devices.values()) {
            nodesOf(d).forEach(n -> out.put(n.path(), n.module()));
            DriverSpec drv = d.present ? driverSpecs.get(d.driver) : null;
            if (drv != null && drv.nodes().contains(NodeKind.VFIO)) {
                out.put("/dev/vfio/" + d.spec.group, "vfio");
            }
        }
        return out;
    }

    private int spawn(ProcessTemplate t) {
        Map<String, String> nodes = allNodes();
        List<OpenFile> files = new ArrayList<>();
        for (String what : t.opens()) {
            PciAddress a = PciAddress.tryParse(what);
            if (a != null) {
                Device d = devices.get(a);
                if (d != null) {
                    nodesOf(d).forEach(n -> files.add(new OpenFile(n.path(), n.module())));
                }
            } else if (nodes.containsKey(what)) {
                files.add(new OpenFile(what, nodes.get(what)));
            }
        }
        int pid = nextPid++;
        processes.put(pid, new Proc(pid, t.command(), t.uid(), t.unit(), files));
        return pid;
    }

    /** Files whose node went away stay open, stale: a node that comes back later is another node. */
    private void markStaleFiles() {
        Map<String, String> nodes = allNodes();
        for (Proc p : processes.values()) {
            for (OpenFile f : p.files) {
                if (!nodes.containsKey(f.node)) {
                    f.stale = true;
                }
            }
        }
    }
}
