package org.gpupass.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.gpupass.model.GpuState;
import org.gpupass.core.GpuStatus;
import org.junit.jupiter.api.Test;

class StatusLineTest {
    @Test
    void names_each_gpu_shortly_with_state_and_holder() throws Exception {
        List<GpuStatus> gpus = new FakeGpuService().gpus();
        GpuStatus nvidia = gpus.get(1);
        GpuStatus claimed = new GpuStatus(nvidia.address(), nvidia.name(), nvidia.vendorId(), nvidia.deviceId(),
                GpuState.VFIO, "vfio-pci", "nvidia", nvidia.functions(), 1, false, false, List.of(), "win11", 0, "");
        assertEquals("00:02.0 UHD 770: host · 01:00.0 RTX 4070 Ti SUPER: vfio (win11)",
                StatusLine.of(List.of(gpus.get(0), claimed)));
    }

    @Test
    void short_names() {
        assertEquals("RTX 4070 Ti SUPER", StatusLine.shortName("NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]"));
        assertEquals("UHD 770", StatusLine.shortName("Intel UHD Graphics 770"));
        assertEquals("10de:2705", StatusLine.shortName("10de:2705"));
        assertEquals("Radeon RX 7900 XT/7900 XTX", StatusLine.shortName(
                "Advanced Micro Devices, Inc. [AMD/ATI] Navi 31 [Radeon RX 7900 XT/7900 XTX]"));
        assertEquals("no GPU found", StatusLine.of(List.of()));
    }
}
