package org.gpupass.model;

import java.util.List;

/**
 * One PCI function as sysfs shows it at one moment.
 *
 * @param classCode the 24-bit class, e.g. 0x030000
 * @param name      human name from the host's pci.ids (or a simulated host), null when unknown
 * @param driver    bound driver, "" when none
 * @param driverOverride "" when none
 * @param iommuGroup -1 when the IOMMU is off
 * @param consumers devices linked as {@code consumer:pci:*} in sysfs
 */
public record PciDevice(PciAddress address, int vendorId, int deviceId, int classCode, String name,
                        String driver, String driverOverride, int iommuGroup, boolean bootVga,
                        List<PciAddress> consumers) {

    public PciDevice {
        driver = driver == null ? "" : driver;
        driverOverride = driverOverride == null ? "" : driverOverride;
        consumers = List.copyOf(consumers);
    }

    /** Class 0x03xxxx: VGA, 3D or display controller. */
    public boolean isGpu() {
        return (classCode >>> 16) == 0x03;
    }

    /** Class 0x0604: PCI-to-PCI bridge (root ports too); stays with its bridge driver. */
    public boolean isBridge() {
        return (classCode >>> 8) == 0x0604;
    }

    public boolean hasDriver() {
        return !driver.isEmpty();
    }

    /** The pci.ids name, or {@code vvvv:dddd}. */
    public String displayName() {
        return name != null && !name.isBlank() ? name : ids();
    }

    /** {@code 10de:2705}. */
    public String ids() {
        return String.format("%04x:%04x", vendorId, deviceId);
    }
}
