package org.gpupass.host.sim;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.gpupass.host.sim.HostDrafts.DeviceDraft;
import org.gpupass.model.PciAddress;

/**
 * What a described host may not say about its devices: contradictions no real machine shows, which
 * would make the simulated kernel (and every test on it) answer for a host that cannot exist.
 */
final class DeviceRules {
    private DeviceRules() {
    }

    /**
     * A driver binds a device at boot only when its ID table matches it, or when the device's
     * driver_override names it; a driver without an ID table (vfio-pci) also binds through new_id.
     */
    static void checkDriver(DeviceDraft d, Map<String, DriverSpec> drivers) {
        if (d.driver.isEmpty()) {
            return;
        }
        DriverSpec spec = drivers.get(d.driver);
        if (spec == null || spec.matches().isEmpty() || spec.matchesIds(d.vendor, d.device, d.classCode)
                || d.override.equals(d.driver)) {
            return;
        }
        throw new IllegalArgumentException(String.format("%s (%04x:%04x, class 0x%06x) cannot be on %s: its ID table "
                        + "(%s) does not match the device and no override=%s names it", d.address, d.vendor, d.device,
                d.classCode, d.driver, String.join(",", spec.matches().stream().map(IdMatch::text).toList()),
                d.driver));
    }

    /** A device never links itself as consumer: sysfs has no such link. */
    static void checkNotOwnConsumer(PciAddress device, List<PciAddress> consumers) {
        if (consumers.contains(device)) {
            throw new IllegalArgumentException("consumers= names " + device + " itself");
        }
    }

    /** Every consumer is a described device: a link to nothing cannot be in sysfs. */
    static void checkConsumersDescribed(DeviceDraft d, Map<PciAddress, DeviceDraft> devices) {
        for (PciAddress c : d.consumers) {
            if (!devices.containsKey(c)) {
                throw new IllegalArgumentException("consumers= names " + c + ", which is not described");
            }
        }
    }

    /** The firmware has one boot display: {@code d} may be it only when no other device is. */
    static void checkOneBootVga(DeviceDraft d, Collection<DeviceDraft> devices) {
        for (DeviceDraft other : devices) {
            if (other != d && other.bootVga) {
                throw new IllegalArgumentException(d.address + " cannot be boot_vga: " + other.address
                        + " already is, and the firmware has one boot display");
            }
        }
    }

    /** All of the above, for a host built without a file. */
    static void checkAll(Map<PciAddress, DeviceDraft> devices, Map<String, DriverSpec> drivers) {
        for (DeviceDraft d : devices.values()) {
            checkDriver(d, drivers);
            checkNotOwnConsumer(d.address, d.consumers);
            checkConsumersDescribed(d, devices);
            if (d.bootVga) {
                checkOneBootVga(d, devices.values());
            }
        }
    }
}
