package org.gpupass.core;

import java.util.List;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;

/**
 * What the daemon tells about one GPU: one field per property of {@code org.gpupass1.Gpu}.
 *
 * @param functions  the GPU first, then its companions
 * @param iommuGroup -1 when the IOMMU is off
 * @param sinceMicros when {@code state} last changed, µs since the Unix epoch
 */
public record GpuStatus(PciAddress address, String name, int vendorId, int deviceId, GpuState state,
                        String driver, String hostDriver, List<PciAddress> functions, int iommuGroup,
                        boolean bootVga, boolean claimable, List<String> blockers, String holder,
                        long sinceMicros, String lastError) {

    public GpuStatus {
        functions = List.copyOf(functions);
        blockers = List.copyOf(blockers);
    }
}
