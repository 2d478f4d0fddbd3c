package org.gpupass.plan;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.gpupass.config.Config;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.Host;
import org.gpupass.host.ModuleInfo;
import org.gpupass.host.NodeHolder;
import org.gpupass.model.Names;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/**
 * Everything the planner needs to know about the host at one moment: PCI devices, IOMMU, modules,
 * and who holds the GPUs' device nodes. Immutable; {@link #read} takes one from the host.
 */
public final class HostSnapshot {
    /** Nodes every GPU on a driver shares: held open, they pin the last GPU on that driver. */
    private static final Map<String, List<String>> DRIVER_WIDE_NODES = Map.of(
            "nvidia", List.of("/dev/nvidiactl", "/dev/nvidia-modeset", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"));

    private final Map<PciAddress, PciDevice> devices;
    private final boolean iommuEnabled;
    private final Map<String, ModuleInfo> modules;
    private final Map<PciAddress, List<String>> nodes;
    private final List<NodeHolder> holders;
    private final Map<String, String> driverModules;
    private final Set<String> activeUnits;
    private final List<String> consoles;
    private final List<Framebuffer> framebuffers;

    public HostSnapshot(Collection<PciDevice> devices, boolean iommuEnabled, Map<String, ModuleInfo> modules,
                        Map<PciAddress, List<String>> nodes, List<NodeHolder> holders,
                        Map<String, String> driverModules, Set<String> activeUnits) {
        this(devices, iommuEnabled, modules, nodes, holders, driverModules, activeUnits, List.of(), List.of());
    }

    /**
     * @param consoles     virtual consoles bound to a framebuffer console now
     * @param framebuffers firmware framebuffers bound now
     */
    public HostSnapshot(Collection<PciDevice> devices, boolean iommuEnabled, Map<String, ModuleInfo> modules,
                        Map<PciAddress, List<String>> nodes, List<NodeHolder> holders,
                        Map<String, String> driverModules, Set<String> activeUnits, List<String> consoles,
                        List<Framebuffer> framebuffers) {
        Map<PciAddress, PciDevice> byAddress = new TreeMap<>();
        devices.forEach(d -> byAddress.put(d.address(), d));
        this.devices = byAddress;
        this.iommuEnabled = iommuEnabled;
        this.modules = Map.copyOf(modules);
        this.nodes = Map.copyOf(nodes);
        this.holders = List.copyOf(holders);
        this.driverModules = Map.copyOf(driverModules);
        this.activeUnits = Set.copyOf(activeUnits);
        this.consoles = List.copyOf(consoles);
        this.framebuffers = List.copyOf(framebuffers);
    }

    /**
     * Reads devices, IOMMU and modules; device nodes and their holders only for managed GPUs' functions;
     * framebuffer consoles and firmware framebuffers only when {@code unbind_consoles} is on and a managed
     * GPU is the boot display.
     */
    public static HostSnapshot read(Host host, Config config) throws IOException {
        List<PciDevice> devices = host.pci().devices();
        HostSnapshot bare = new HostSnapshot(devices, host.pci().iommuEnabled(), host.modules().loaded(), Map.of(), List.of(),
                Map.of(), Set.of());
        Map<PciAddress, List<String>> nodes = new LinkedHashMap<>();
        Map<String, String> driverModules = new LinkedHashMap<>();
        Set<String> watched = new LinkedHashSet<>();
        for (PciDevice gpu : bare.gpus(config)) {
            for (PciDevice fn : bare.functionsOf(gpu)) {
                List<String> own = host.nodes().nodesOf(fn.address());
                nodes.put(fn.address(), own);
                watched.addAll(own);
                if (fn.hasDriver() && !driverModules.containsKey(fn.driver())) {
                    host.modules().moduleOfDriver(fn.driver()).ifPresent(m -> driverModules.put(fn.driver(), m));
                }
            }
            watched.addAll(bare.driverWideNodes(gpu));
            if (gpu.iommuGroup() >= 0) {
                watched.add(vfioGroupNode(gpu.iommuGroup()));
            }
        }
        List<NodeHolder> holders = watched.isEmpty() ? List.of() : host.nodes().holders(watched);
        Set<String> units = new LinkedHashSet<>(config.stopUnits());
        for (PciDevice gpu : bare.gpus(config)) {
            units.addAll(GpuAssessor.DRIVER_UNITS.getOrDefault(gpu.driver(), List.of()));
        }
        Set<String> activeUnits = new LinkedHashSet<>();
        for (String unit : units) {
            if (host.units().isActive(unit)) {
                activeUnits.add(unit);
            }
        }
        boolean consolesMatter = config.unbindConsoles() && bare.gpus(config).stream().anyMatch(PciDevice::bootVga);
        List<String> consoles = consolesMatter ? host.consoles().framebufferConsoles() : List.of();
        List<Framebuffer> framebuffers = consolesMatter ? host.consoles().firmwareFramebuffers() : List.of();
        return new HostSnapshot(devices, bare.iommuEnabled, bare.modules, nodes, holders, driverModules, activeUnits,
                consoles, framebuffers);
    }

    public static String vfioGroupNode(int group) {
        return "/dev/vfio/" + group;
    }

    public boolean iommuEnabled() {
        return iommuEnabled;
    }

    public Collection<PciDevice> devices() {
        return devices.values();
    }

    public Optional<PciDevice> device(PciAddress address) {
        return Optional.ofNullable(devices.get(address));
    }

    public Map<String, ModuleInfo> modules() {
        return modules;
    }

    public boolean moduleLoaded(String module) {
        return modules.containsKey(Names.kernelModuleName(module));
    }

    /** The module providing a driver of a managed GPU's function, when it is a loadable module. */
    public Optional<String> moduleOfDriver(String driver) {
        return Optional.ofNullable(driverModules.get(driver));
    }

    /** Whether one of the config's {@code stop_units} is active. */
    public boolean unitActive(String unit) {
        return activeUnits.contains(unit);
    }

    /** Virtual consoles bound to a framebuffer console (read only when {@code unbind_consoles} matters). */
    public List<String> framebufferConsoles() {
        return consoles;
    }

    /** Firmware framebuffers bound to their driver (read only when {@code unbind_consoles} matters). */
    public List<Framebuffer> firmwareFramebuffers() {
        return framebuffers;
    }

    /** Whether this framebuffer device is bound to some driver now. */
    public boolean framebufferBound(String device) {
        return framebuffers.stream().anyMatch(f -> f.device().equals(device));
    }

    /**
     * The GPUs the config manages. A display-class function that shares its slot with a lower
     * display-class function is that one's companion, not a GPU of its own.
     */
    public List<PciDevice> gpus(Config config) {
        List<PciDevice> gpus = new ArrayList<>();
        for (PciDevice d : devices.values()) {
            if (d.isGpu() && config.manages(d) && !isSecondaryDisplayFunction(d)) {
                gpus.add(d);
            }
        }
        return gpus;
    }

    private boolean isSecondaryDisplayFunction(PciDevice d) {
        return devices.values().stream()
                .anyMatch(o -> o.isGpu() && o.address().sameSlot(d.address()) && o.address().compareTo(d.address()) < 0);
    }

    /**
     * The GPU first, then the other functions of its slot, then its {@code consumer:pci} devices;
     * never a bridge. A function belongs to one GPU only: a device that is a GPU of its own, or that
     * sits on another GPU's slot, is never a consumer-linked function; one that several GPUs link
     * belongs to the lowest-addressed of them (see {@link #ownerOf}).
     */
    public List<PciDevice> functionsOf(PciDevice gpu) {
        Map<PciAddress, PciDevice> result = new LinkedHashMap<>();
        result.put(gpu.address(), gpu);
        for (PciDevice d : devices.values()) {
            if (d.address().sameSlot(gpu.address()) && !d.isBridge()) {
                result.putIfAbsent(d.address(), d);
            }
        }
        for (PciAddress consumer : gpu.consumers()) {
            PciDevice d = devices.get(consumer);
            if (d != null && !d.isBridge() && gpu.address().equals(ownerOf(d))) {
                result.putIfAbsent(consumer, d);
            }
        }
        return List.copyOf(result.values());
    }

    /**
     * The GPU a device is a function of, or null: a GPU is its own; a device on a GPU's slot is that
     * GPU's; else the lowest-addressed GPU that links it as {@code consumer:pci}. Independent of
     * the config, so an unmanaged GPU's functions are never another GPU's.
     */
    private PciAddress ownerOf(PciDevice device) {
        PciAddress slotGpu = null;
        PciAddress linking = null;
        for (PciDevice o : devices.values()) {
            if (!o.isGpu() || isSecondaryDisplayFunction(o)) {
                continue;
            }
            if (o.address().sameSlot(device.address())) {
                slotGpu = slotGpu == null ? o.address() : slotGpu;
            } else if (linking == null && o.consumers().contains(device.address())) {
                linking = o.address();
            }
        }
        return slotGpu != null ? slotGpu : linking;
    }

    /** Every device in an IOMMU group, sorted by address; empty for -1. */
    public List<PciDevice> groupMembers(int group) {
        if (group < 0) {
            return List.of();
        }
        return devices.values().stream().filter(d -> d.iommuGroup() == group).toList();
    }

    /** The function's own device nodes as read into this snapshot. */
    public List<String> nodesOf(PciAddress function) {
        return nodes.getOrDefault(function, List.of());
    }

    /** Driver-wide nodes (e.g. /dev/nvidiactl) when this is the last GPU on its driver, else none. */
    public List<String> driverWideNodes(PciDevice gpu) {
        List<String> shared = DRIVER_WIDE_NODES.get(gpu.driver());
        if (shared == null) {
            return List.of();
        }
        boolean othersOnDriver = devices.values().stream()
                .anyMatch(d -> d.isGpu() && !d.address().equals(gpu.address()) && d.driver().equals(gpu.driver()));
        return othersOnDriver ? List.of() : shared;
    }

    /** Holders of any of these nodes. */
    public List<NodeHolder> holdersOf(Collection<String> watchedNodes) {
        Set<String> wanted = Set.copyOf(watchedNodes);
        return holders.stream().filter(h -> wanted.contains(h.node())).toList();
    }

    /** Every node that pins the GPU while it is on its host drivers. */
    public List<String> hostNodes(PciDevice gpu) {
        List<String> all = new ArrayList<>();
        functionsOf(gpu).forEach(fn -> all.addAll(nodesOf(fn.address())));
        all.addAll(driverWideNodes(gpu));
        return all;
    }

    /** Devices other than these functions that are bound to a driver provided by the module. */
    public List<PciDevice> otherUsersOfDriver(String driver, Collection<PciAddress> functions) {
        return devices.values().stream()
                .filter(d -> d.driver().equals(driver) && !functions.contains(d.address()))
                .toList();
    }
}
