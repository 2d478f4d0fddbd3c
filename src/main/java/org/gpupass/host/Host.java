package org.gpupass.host;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gpupass.core.PciAddress;
import org.gpupass.core.PciDevice;

/**
 * The daemon's one port to the host: sysfs, kernel modules, open device nodes and systemd units.
 *
 * <p>{@link SysfsHost} is the real side, rooted at a configurable directory; {@code SimulatedKernel}
 * keeps the kernel's rules in memory. Every mutating method is exactly one kernel write (or one
 * systemd job) and may block for as long as the kernel does: callers put their own deadline around
 * it. A refused write throws {@link KernelWriteException} carrying the path and errno.
 */
public interface Host {

    /** Every PCI function as sysfs shows it now, sorted by address. */
    List<PciDevice> pciDevices() throws IOException;

    /**
     * The driver one function is bound to now ({@code ""} for none), or empty when the function is
     * not there (removed). One symlink read: what a transition polls while it waits for a probe.
     */
    Optional<String> driverOf(PciAddress function) throws IOException;

    /** True when the kernel has IOMMU groups ({@code /sys/kernel/iommu_groups} is not empty). */
    boolean iommuEnabled() throws IOException;

    /**
     * The device nodes that belong to this one function now: {@code /dev/dri/cardN},
     * {@code /dev/dri/renderDN}, {@code /dev/nvidiaN}, {@code /dev/snd/*}. Driver-wide nodes such as
     * {@code /dev/nvidiactl} are not included.
     */
    List<String> deviceNodes(PciAddress function) throws IOException;

    /** Processes that have any of these nodes open, one entry per (process, node). */
    List<NodeHolder> holders(Collection<String> nodes) throws IOException;

    /** Whether a path under /dev exists, e.g. {@code /dev/vfio/1}. */
    boolean exists(String devPath);

    /**
     * Waits until a /dev path exists, by watching rather than sleeping where the host allows.
     *
     * @return whether it exists at return
     */
    boolean awaitPath(String devPath, Duration timeout) throws InterruptedException;

    /** Loaded kernel modules by name, with use counts and the modules that use them. */
    Map<String, ModuleInfo> modules() throws IOException;

    /** The module that provides a PCI driver (e.g. {@code bochs-drm} → {@code bochs}), if it is loaded. */
    Optional<String> moduleOfDriver(String driver) throws IOException;

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

    /** Loads a module (and its dependencies), like modprobe. */
    void loadModule(String module) throws IOException;

    /** Unloads one module; EBUSY while it is used. */
    void unloadModule(String module) throws IOException;

    /** Whether a systemd unit is active (or activating). */
    boolean unitActive(String unit) throws IOException;

    /** Stops a systemd unit and waits for the job to finish. */
    void stopUnit(String unit) throws IOException;

    /** Starts a systemd unit and waits for the job to finish. */
    void startUnit(String unit) throws IOException;

    /**
     * Virtual consoles bound to a framebuffer console now: each {@code /sys/class/vtconsole/vtconN} whose
     * {@code bind} reads 1 and whose {@code name} contains "frame buffer" ({@code vtcon1}), by number.
     */
    List<String> framebufferConsoles() throws IOException;

    /** Writes 0 to {@code /sys/class/vtconsole/<vtcon>/bind}. */
    void unbindConsole(String vtcon) throws IOException;

    /** Writes 1 to {@code /sys/class/vtconsole/<vtcon>/bind}. */
    void bindConsole(String vtcon) throws IOException;

    /**
     * Firmware framebuffers bound now: {@code efi-framebuffer.N}, {@code simple-framebuffer.N} and
     * {@code vesa-framebuffer.N} under {@code /sys/bus/platform/devices} with a {@code driver} link, by name.
     */
    List<Framebuffer> firmwareFramebuffers() throws IOException;

    /** Writes the device to {@code /sys/bus/platform/drivers/<driver>/unbind}; ENODEV when not bound to it. */
    void unbindFramebuffer(String driver, String device) throws IOException;

    /** Writes the device to {@code /sys/bus/platform/drivers/<driver>/bind}; ENODEV when bound or not matched. */
    void bindFramebuffer(String driver, String device) throws IOException;
}
