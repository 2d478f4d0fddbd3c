package org.gpupass.host.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.PciBus;
import org.gpupass.host.sim.HostDrafts.DeviceDraft;
import org.gpupass.host.sim.SimulatedKernel.Op;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/**
 * The PCI driver core: devices, the drivers their loaded modules register, and the kernel's
 * binding rules (driver_override only matters at probe, drivers_probe tries the override first and
 * then the ID tables in registration order, bind of a bound device is ENODEV, vfio-pci needs an
 * IOMMU group), with each bound device's node numbers.
 */
final class SimPciBus implements PciBus {
    private static final String PCI = "/sys/bus/pci";

    /** A device as the kernel has it now. */
    static final class Device {
        final HostDrafts.DeviceDraft spec;
        String driver;
        String override;
        boolean present = true;
        /** Wedged: probing passes it by and bind answers ENODEV until a remove and rescan. */
        boolean wedged;

        Device(HostDrafts.DeviceDraft spec) {
            this.spec = spec;
            this.driver = spec.driver;
            this.override = spec.override;
        }
    }

    /** A device node and the module that owns it. */
    record Node(String path, String module) {
    }

    private final SimParts parts;
    private final boolean iommu;
    private final Map<String, DriverSpec> drivers;
    private final Map<PciAddress, Device> devices = new TreeMap<>();
    private final Map<PciAddress, Integer> drmMinors = new HashMap<>();
    private final Map<PciAddress, Integer> nvidiaMinors = new HashMap<>();
    private final Map<PciAddress, Integer> soundCards = new HashMap<>();

    SimPciBus(SimParts parts, boolean iommu, Map<String, DriverSpec> drivers) {
        this.parts = parts;
        this.iommu = iommu;
        this.drivers = new LinkedHashMap<>(drivers);
    }

    /** Construction: a device as described, already bound to its driver if it names one. */
    void add(HostDrafts.DeviceDraft draft) {
        Device d = new Device(draft);
        devices.put(draft.address, d);
        if (!d.driver.isEmpty()) {
            parts.modules.loadQuietly(drivers.get(d.driver).module());
            allocateMinors(d);
        }
    }

    // ---- PciBus: reads

    @Override
    public List<PciDevice> devices() {
        synchronized (parts.writes.lock) {
            List<PciDevice> out = new ArrayList<>();
            for (Device d : devices.values()) {
                if (d.present) {
                    HostDrafts.DeviceDraft s = d.spec;
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
        synchronized (parts.writes.lock) {
            Device d = devices.get(function);
            return d != null && d.present ? Optional.of(d.driver) : Optional.empty();
        }
    }

    @Override
    public boolean iommuEnabled() {
        return iommu;
    }

    // ---- PciBus: writes

    /** Only stored; a newline ends the value (as the kernel strips it); {@code ""} clears. ENOENT when removed. */
    @Override
    public void setDriverOverride(PciAddress function, String driver) throws IOException {
        String value = driver.contains("\n") ? driver.substring(0, driver.indexOf('\n')) : driver;
        String path = PCI + "/devices/" + function + "/driver_override";
        parts.writes.write(Op.SET_OVERRIDE, function.toString(), value, path, () -> {
            presentOr(function, Errno.ENOENT, path).override = value;
            return null;
        });
    }

    /** ENOENT when the driver is not registered (no such directory), ENODEV when the device is not bound to it. */
    @Override
    public void unbind(PciAddress function, String driver) throws IOException {
        String path = PCI + "/drivers/" + driver + "/unbind";
        parts.writes.write(Op.UNBIND, function.toString(), driver, path, () -> {
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
        parts.writes.write(Op.DRIVERS_PROBE, function.toString(), "", path, () -> {
            probe(presentOr(function, Errno.ENODEV, path));
            return null;
        });
    }

    /** ENOENT when the driver is not registered; ENODEV when bound or not matched; the probe's error (EINVAL for vfio-pci without IOMMU). */
    @Override
    public void bind(PciAddress function, String driver) throws IOException {
        String path = PCI + "/drivers/" + driver + "/bind";
        parts.writes.write(Op.BIND, function.toString(), driver, path, () -> {
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
        parts.writes.write(Op.REMOVE, function.toString(), "", path, () -> {
            Device d = presentOr(function, Errno.ENOENT, path);
            if (!d.driver.isEmpty()) {
                BooleanSupplier blocked = detach(d, drivers.get(d.driver));
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
        parts.writes.write(Op.RESCAN, "", "", PCI + "/rescan", () -> {
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

    // ---- for the other models and the tests (lock held)

    Device device(PciAddress a) {
        return devices.get(a);
    }

    Iterable<Device> all() {
        return devices.values();
    }

    boolean present(PciAddress a) {
        Device d = devices.get(a);
        return d != null && d.present;
    }

    /** A loaded module's new drivers take the unbound devices they match. */
    void probeWithNewDrivers(String module) {
        for (DriverSpec drv : drivers.values()) {
            if (drv.module().equals(module)) {
                for (Device d : devices.values()) {
                    if (d.present && d.driver.isEmpty() && matches(d, drv) && probeError(drv) == null) {
                        attach(d, drv);
                    }
                }
            }
        }
    }

    /** An unloaded module's devices lose their driver. */
    void unbindAllOf(String module) {
        for (Device d : devices.values()) {
            DriverSpec drv = drivers.get(d.driver);
            if (d.present && drv != null && drv.module().equals(module)) {
                d.driver = "";
            }
        }
    }

    /** The registered driver of that name, or null when it is unknown or its module is not loaded. */
    DriverSpec loadedDriver(String name) {
        DriverSpec d = drivers.get(name);
        return d != null && parts.modules.isLoaded(d.module()) ? d : null;
    }

    DriverSpec driver(String name) {
        return drivers.get(name);
    }

    /** The device's own nodes now, each with the module that owns it. */
    List<Node> nodesOf(Device d) {
        List<Node> out = new ArrayList<>();
        DriverSpec drv = d.present ? drivers.get(d.driver) : null;
        if (drv == null) {
            return out;
        }
        PciAddress a = d.spec.address;
        if (drv.nodes().contains(NodeKind.NVIDIA)) {
            out.add(new Node("/dev/nvidia" + nvidiaMinors.get(a), drv.module()));
        }
        String drmOwner = drv.drmVia() == null ? drv.module() : drv.drmVia();
        if (drv.nodes().contains(NodeKind.DRM) && parts.modules.isLoaded(drmOwner)) {
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

    /** {@code /dev/vfio/GROUP} of a device bound to vfio-pci, or null. */
    String vfioNode(Device d) {
        DriverSpec drv = d.present ? drivers.get(d.driver) : null;
        return drv != null && drv.nodes().contains(NodeKind.VFIO) ? "/dev/vfio/" + d.spec.group : null;
    }

    // ---- the rules (lock held)

    private Device presentOr(PciAddress a, Errno errno, String path) throws KernelWriteException {
        Device d = devices.get(a);
        if (d == null || !d.present) {
            throw new KernelWriteException(path, errno, "no device " + a);
        }
        return d;
    }

    private DriverSpec loadedDriverOr(String name, String path) throws KernelWriteException {
        DriverSpec d = loadedDriver(name);
        if (d == null) {
            throw new KernelWriteException(path, Errno.ENOENT, "no driver " + name + " is registered");
        }
        return d;
    }

    /** Registered drivers in registration order (their modules' load order). */
    private List<DriverSpec> registeredDrivers() {
        List<DriverSpec> out = new ArrayList<>();
        for (String m : parts.modules.loadOrder()) {
            for (DriverSpec d : drivers.values()) {
                if (d.module().equals(m)) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    /** pci_match_device: an override names the only driver that matches, ID table or not. */
    private boolean matches(Device d, DriverSpec drv) {
        HostDrafts.DeviceDraft s = d.spec;
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
            if (parts.processes.openAnyOf(nodes)) {
                return () -> parts.processes.openAnyOf(nodes);
            }
        }
        d.driver = "";
        return null;
    }

    private void allocateMinors(Device d) {
        Set<NodeKind> kinds = drivers.get(d.driver).nodes();
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
}
