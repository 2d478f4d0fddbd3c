package org.gpupass.host.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.gpupass.host.sim.HostDrafts.ConsoleDraft;
import org.gpupass.host.sim.HostDrafts.DeviceDraft;
import org.gpupass.host.sim.HostDrafts.FramebufferDraft;
import org.gpupass.host.sim.HostDrafts.UnitDraft;
import org.gpupass.model.Names;
import org.gpupass.model.PciAddress;

/**
 * Describes a simulated host in a few readable lines, then {@link #build()}s its kernel.
 *
 * <pre>{@code
 * SimulatedKernel k = SimulatedKernel.builder()
 *     .load("vfio_pci")
 *     .device("0000:01:00.0", "10de:2705", 0x030000).driver("nvidia").group(1)
 *     .device("0000:01:00.1", "10de:22bb", 0x040300).driver("snd_hda_intel").group(1)
 *     .unit("sddm.service").process("Xorg", 0).opens("0000:01:00.0")
 *     .build();
 * }</pre>
 *
 * <p>Starts from the standard module and driver catalogue (i915, amdgpu, nouveau, nvidia*, bochs,
 * snd_hda_intel, xhci_pci, vfio*, built-in pcieport and ahci); {@link #define(String)} adds to it. Per-device
 * methods ({@link #name}, {@link #driver}, ...) apply to the last {@link #device}; {@link #process} to the
 * last {@link #unit}, {@link #opens} to the last process. The state is taken as described: nothing is
 * probed at build time, and the modules of bound drivers are loaded.
 */
public final class SimulatedHostBuilder {

    private static final Pattern VTCON = Pattern.compile("vtcon[0-9]{1,4}");
    private static final Pattern FIRMWARE_FB =
            Pattern.compile("(efi|simple|vesa)-framebuffer\\.[0-9]{1,4}");

    private static volatile SimulatedHostBuilder standardCatalog;

    boolean iommu = true;
    final Map<String, ModuleSpec> modules = new LinkedHashMap<>();
    final Map<String, DriverSpec> drivers = new LinkedHashMap<>();
    final List<String> loads = new ArrayList<>();
    final Map<String, Integer> extraUsers = new LinkedHashMap<>();
    final Map<PciAddress, DeviceDraft> devices = new TreeMap<>();
    final Map<String, UnitDraft> units = new LinkedHashMap<>();
    final List<ProcessTemplate> freeProcesses = new ArrayList<>();
    final Map<String, ConsoleDraft> consoles = new LinkedHashMap<>();
    final Map<String, FramebufferDraft> framebuffers = new TreeMap<>();

    private DeviceDraft currentDevice;
    private UnitDraft currentUnit;
    private List<ProcessTemplate> currentProcessList;

    /** A builder with the standard catalogue; see {@link SimulatedKernel#builder()}. */
    SimulatedHostBuilder() {
        SimulatedHostBuilder catalog = standardCatalog();
        modules.putAll(catalog.modules);
        drivers.putAll(catalog.drivers);
    }

    private SimulatedHostBuilder(boolean bare) {
    }

    private static SimulatedHostBuilder standardCatalog() {
        SimulatedHostBuilder catalog = standardCatalog;
        if (catalog == null) {
            catalog = new SimulatedHostBuilder(true);
            try {
                HostFileParser.apply(HostFileParser.resource("kernel-catalog.host"), "kernel-catalog.host", catalog);
            } catch (HostFileException e) {
                throw new IllegalStateException("the standard catalogue is broken: " + e.getMessage(), e);
            }
            standardCatalog = catalog;
        }
        return catalog;
    }

    /** IOMMU on (the default) or off; with it off no device has a group and vfio-pci cannot bind. */
    public SimulatedHostBuilder iommu(boolean on) {
        if (!on) {
            for (DeviceDraft d : devices.values()) {
                if (driverSpec(d.driver) != null && driverSpec(d.driver).nodes().contains(NodeKind.VFIO)) {
                    throw new IllegalArgumentException(d.address + " is bound to " + d.driver + ", which needs the IOMMU");
                }
            }
        }
        iommu = on;
        return this;
    }

    /** Adds to the catalogue with one line of the host-file format, e.g. {@code driver foo module=foo match=1234:*}. */
    public SimulatedHostBuilder define(String hostFileLine) {
        try {
            HostFileParser.apply(hostFileLine, "define", this);
        } catch (HostFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return this;
    }

    /** Modules loaded at boot (with their dependencies), in this order. */
    public SimulatedHostBuilder load(String... moduleNames) {
        for (String m : moduleNames) {
            requireModule(m);
            loads.add(m);
        }
        return this;
    }

    /** Holds {@code count} extra references on a module (as another kernel user would); loads it at boot. */
    public SimulatedHostBuilder extraUsers(String module, int count) {
        requireModule(module);
        if (count < 0) {
            throw new IllegalArgumentException("negative user count for " + module);
        }
        extraUsers.put(module, count);
        loads.add(module);
        return this;
    }

    /** A PCI function: address {@code 0000:01:00.0}, ids {@code 10de:2705}, 24-bit class. */
    public SimulatedHostBuilder device(String address, String ids, int classCode) {
        PciAddress a = PciAddress.tryParse(address);
        if (a == null || !a.toString().equals(address.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("bad PCI address '" + address + "' (expected DDDD:BB:SS.F)");
        }
        if (devices.containsKey(a)) {
            throw new IllegalArgumentException("device " + a + " is described twice");
        }
        if (!ids.matches("[0-9a-fA-F]{4}:[0-9a-fA-F]{4}")) {
            throw new IllegalArgumentException("bad ids '" + ids + "' (expected VVVV:DDDD in hex)");
        }
        if (classCode < 0 || classCode > 0xffffff) {
            throw new IllegalArgumentException("class 0x" + Integer.toHexString(classCode) + " is not 24 bits");
        }
        currentDevice = new DeviceDraft(a, Integer.parseInt(ids.substring(0, 4), 16),
                Integer.parseInt(ids.substring(5), 16), classCode);
        devices.put(a, currentDevice);
        return this;
    }

    /** The last device's human name. */
    public SimulatedHostBuilder name(String name) {
        device().name = name;
        return this;
    }

    /** The driver the last device is bound to at boot; its module is loaded. */
    public SimulatedHostBuilder driver(String driver) {
        DeviceDraft d = device();
        DriverSpec spec = requireDriver(driver);
        if (spec.nodes().contains(NodeKind.VFIO) && !iommu) {
            throw new IllegalArgumentException(d.address + " cannot be bound to " + driver + " with the IOMMU off");
        }
        d.driver = driver;
        return this;
    }

    /** The last device's driver_override at boot. */
    public SimulatedHostBuilder override(String driver) {
        device().override = driver;
        return this;
    }

    /** The last device's IOMMU group (devices without one get a group of their own). */
    public SimulatedHostBuilder group(int group) {
        if (group < 0) {
            throw new IllegalArgumentException("negative IOMMU group " + group);
        }
        device().group = group;
        return this;
    }

    /** Marks the last device as the firmware's boot display. */
    public SimulatedHostBuilder bootVga() {
        DeviceRules.checkOneBootVga(device(), devices.values());
        device().bootVga = true;
        return this;
    }

    /** Devices linked to the last device as {@code consumer:pci:*}. */
    public SimulatedHostBuilder consumers(String... addresses) {
        List<PciAddress> list = new ArrayList<>();
        for (String text : addresses) {
            PciAddress a = PciAddress.tryParse(text);
            if (a == null) {
                throw new IllegalArgumentException("bad consumer address '" + text + "'");
            }
            list.add(a);
        }
        DeviceRules.checkNotOwnConsumer(device().address, list);
        device().consumers = List.copyOf(list);
        return this;
    }

    /** A systemd unit, active at boot; following {@link #process} calls belong to it. */
    public SimulatedHostBuilder unit(String name) {
        if (name.isBlank() || units.containsKey(name)) {
            throw new IllegalArgumentException("unit '" + name + "' is empty or described twice");
        }
        currentUnit = new UnitDraft(name);
        units.put(name, currentUnit);
        return this;
    }

    /** Makes the last unit inactive at boot. */
    public SimulatedHostBuilder inactive() {
        if (currentUnit == null) {
            throw new IllegalStateException("inactive() before any unit(...)");
        }
        currentUnit.active = false;
        return this;
    }

    /** A process of the last unit (outside any unit when none was described yet). */
    public SimulatedHostBuilder process(String command, int uid) {
        return process(command, uid, currentUnit == null ? "" : currentUnit.name);
    }

    /** A process of a described unit, or outside any unit when {@code unit} is {@code ""}. */
    public SimulatedHostBuilder process(String command, int uid, String unit) {
        if (command.isBlank()) {
            throw new IllegalArgumentException("empty process command");
        }
        List<ProcessTemplate> list;
        if (unit.isEmpty()) {
            list = freeProcesses;
        } else {
            UnitDraft u = units.get(unit);
            if (u == null) {
                throw new IllegalArgumentException("unit '" + unit + "' is not described (yet)");
            }
            list = u.processes;
        }
        list.add(new ProcessTemplate(command, uid, unit, List.of()));
        currentProcessList = list;
        return this;
    }

    /** What the last process opens: device addresses (all their nodes) and /dev paths. */
    public SimulatedHostBuilder opens(String... addressesOrPaths) {
        if (currentProcessList == null) {
            throw new IllegalStateException("opens(...) before any process(...)");
        }
        for (String what : addressesOrPaths) {
            PciAddress a = PciAddress.tryParse(what);
            if (a != null ? !devices.containsKey(a) : !what.startsWith("/dev/")) {
                throw new IllegalArgumentException("a process can open a described device or a /dev path, not '" + what + "'");
            }
        }
        int last = currentProcessList.size() - 1;
        ProcessTemplate p = currentProcessList.get(last);
        List<String> opens = new ArrayList<>(p.opens());
        opens.addAll(Arrays.asList(addressesOrPaths));
        currentProcessList.set(last, new ProcessTemplate(p.command(), p.uid(), p.unit(), opens));
        return this;
    }

    /**
     * A virtual console: {@code vtconN}, its {@code name} as sysfs shows it ({@code "(M) frame buffer device"},
     * {@code "(S) dummy device"}), and whether it is bound at boot.
     */
    public SimulatedHostBuilder console(String vtcon, String name, boolean bound) {
        if (vtcon == null || !VTCON.matcher(vtcon).matches()) {
            throw new IllegalArgumentException("bad virtual console '" + vtcon + "' (expected vtconN)");
        }
        if (consoles.containsKey(vtcon)) {
            throw new IllegalArgumentException("console " + vtcon + " is described twice");
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("console " + vtcon + " needs a name");
        }
        consoles.put(vtcon, new ConsoleDraft(vtcon, name, bound));
        return this;
    }

    /**
     * A firmware framebuffer platform device ({@code efi-framebuffer.0}, {@code simple-framebuffer.0},
     * {@code vesa-framebuffer.0}), the platform driver that takes it (registered from boot), and whether it
     * is bound at boot.
     */
    public SimulatedHostBuilder framebuffer(String device, String driver, boolean bound) {
        if (device == null || !FIRMWARE_FB.matcher(device).matches()) {
            throw new IllegalArgumentException("bad framebuffer device '" + device
                    + "' (expected efi-framebuffer.N, simple-framebuffer.N or vesa-framebuffer.N)");
        }
        if (framebuffers.containsKey(device)) {
            throw new IllegalArgumentException("framebuffer " + device + " is described twice");
        }
        if (!Names.driver(driver)) {
            throw new IllegalArgumentException("bad platform driver name '" + driver + "'");
        }
        framebuffers.put(device, new FramebufferDraft(device, driver, bound));
        return this;
    }

    /**
     * The kernel in the described state.
     *
     * @throws IllegalArgumentException for a host no machine can be (docs/simulated-hosts.md): a device
     *         on a driver that does not match it, a consumer that is not described, two boot displays
     */
    public SimulatedKernel build() {
        DeviceRules.checkAll(devices, drivers);
        return new SimulatedKernel(this);
    }

    /** Checks the last device as a host file's line leaves it (its driver against its ids and override). */
    void checkLastDevice() {
        DeviceRules.checkDriver(device(), drivers);
    }

    /** Checks what only the whole description can tell: {@code device}'s consumers are described. */
    void checkConsumersOf(PciAddress device) {
        DeviceRules.checkConsumersDescribed(devices.get(device), devices);
    }

    void defineModule(ModuleSpec spec) {
        if (modules.containsKey(spec.name())) {
            throw new IllegalArgumentException("module " + spec.name() + " is already defined");
        }
        for (String dep : spec.deps()) {
            requireModule(dep);
        }
        modules.put(spec.name(), spec);
    }

    void defineDriver(DriverSpec spec) {
        if (drivers.containsKey(spec.name())) {
            throw new IllegalArgumentException("driver " + spec.name() + " is already defined");
        }
        requireModule(spec.module());
        if (spec.drmVia() != null) {
            requireModule(spec.drmVia());
        }
        drivers.put(spec.name(), spec);
    }

    private DeviceDraft device() {
        if (currentDevice == null) {
            throw new IllegalStateException("a device property before any device(...)");
        }
        return currentDevice;
    }

    private DriverSpec driverSpec(String name) {
        return drivers.get(name);
    }

    private void requireModule(String name) {
        if (!modules.containsKey(name)) {
            throw new IllegalArgumentException("unknown module '" + name + "'");
        }
    }

    private DriverSpec requireDriver(String name) {
        DriverSpec spec = drivers.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("unknown driver '" + name + "' (known: " + String.join(", ", drivers.keySet()) + ")");
        }
        return spec;
    }
}
