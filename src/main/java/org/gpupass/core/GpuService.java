package org.gpupass.core;

import java.util.List;
import java.util.Optional;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;

/**
 * The core as the D-Bus layer and the CLI's offline paths see it. Methods that move a GPU block
 * until the transition has finished; everything else answers at once from the current model.
 */
public interface GpuService {

    String version();

    /** Every managed GPU, sorted by address. */
    List<GpuStatus> gpus();

    Optional<GpuStatus> gpu(PciAddress address);

    /** {@code ""} when idle, else e.g. {@code claim 0000:01:00.0 for win11}. */
    String transition();

    /**
     * Binds the GPU named by {@code device} (any of its functions, or "" for the one claimable GPU)
     * and all its functions to vfio-pci for {@code holder}.
     */
    GpuStatus claim(String device, String holder) throws GpuPassException;

    /** Returns the GPU to its host drivers; {@code holder ""} forces. */
    GpuStatus release(String device, String holder) throws GpuPassException;

    /** Claims every managed GPU named by a PCI hostdev of a libvirt domain XML, for {@code domain}. */
    List<GpuStatus> claimDomain(String domain, String domainXml) throws GpuPassException;

    /** Releases every GPU held by {@code domain}; returns those released. */
    List<GpuStatus> releaseDomain(String domain) throws GpuPassException;

    void addListener(GpuListener listener);

    /** False when the executor can no longer make progress (for the systemd watchdog). */
    boolean healthy();
}
