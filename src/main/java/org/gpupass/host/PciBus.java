package org.gpupass.host;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/**
 * The PCI bus as sysfs shows it, and the driver core's writes: {@code driver_override}, {@code unbind},
 * {@code drivers_probe}, {@code bind}, {@code remove}, {@code rescan}. Every write is exactly one
 * kernel write and may block for as long as the kernel does: callers put their own deadline around
 * it. A refused write throws {@link KernelWriteException} carrying the path and errno.
 */
public interface PciBus {

    /** Every PCI function as sysfs shows it now, sorted by address. */
    List<PciDevice> devices() throws IOException;

    /**
     * The driver one function is bound to now ({@code ""} for none), or empty when the function is
     * not there (removed). One symlink read: what a transition polls while it waits for a probe.
     */
    Optional<String> driverOf(PciAddress function) throws IOException;

    /** True when the kernel has IOMMU groups ({@code /sys/kernel/iommu_groups} is not empty). */
    boolean iommuEnabled() throws IOException;

    /** Writes {@code driver_override}; {@code ""} clears it. Only matters at the next probe. */
    void setDriverOverride(PciAddress function, String driver) throws IOException;

    /** Writes the address to {@code drivers/<driver>/unbind}; ENODEV when not bound to it. */
    void unbind(PciAddress function, String driver) throws IOException;

    /** Writes the address to {@code /sys/bus/pci/drivers_probe}. */
    void driversProbe(PciAddress function) throws IOException;

    /** Writes the address to {@code drivers/<driver>/bind}; ENODEV when bound or not matched. */
    void bind(PciAddress function, String driver) throws IOException;

    /** Writes 1 to the device's {@code remove}. */
    void remove(PciAddress function) throws IOException;

    /** Writes 1 to {@code /sys/bus/pci/rescan}. */
    void rescan() throws IOException;
}
