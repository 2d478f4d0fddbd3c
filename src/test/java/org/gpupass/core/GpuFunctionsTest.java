package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.gpupass.core.Hosts.SECOND;
import static org.gpupass.core.Hosts.SECOND_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.gpupass.config.Config;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.plan.Planner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A function belongs to one GPU only, and a GPU is never another GPU's function. */
class GpuFunctionsTest {
    @TempDir
    Path state;

    /** TWO_DISCRETE with the AMD card linking the NVIDIA card and its audio as consumer:pci. */
    private static final String LINKED = Hosts.TWO_DISCRETE.replace(
            "driver=amdgpu group=3", "driver=amdgpu group=3 consumers=0000:01:00.0,0000:01:00.1");

    /** A USB controller on a slot of its own, linked as consumer by both cards. */
    private static final String SHARED_CONSUMER = Hosts.TWO_DISCRETE
            .replace("driver=nvidia group=1", "driver=nvidia group=1 consumers=0000:05:00.0")
            .replace("driver=amdgpu group=3", "driver=amdgpu group=3 consumers=0000:05:00.0")
            + "device 0000:05:00.0 1912:0014 class=0x0c0330 driver=xhci_hcd group=7\n";

    private static List<PciAddress> functions(SimulatedKernel k, PciAddress gpu) {
        HostSnapshot snap = Hosts.snapshot(k, Hosts.config(""));
        return snap.functionsOf(snap.device(gpu).orElseThrow()).stream().map(PciDevice::address).toList();
    }

    @Test
    void aGpuLinkedAsConsumerIsNotAFunctionOfTheLinkingGpu() {
        SimulatedKernel k = Hosts.parse(LINKED);
        assertEquals(List.of(SECOND, SECOND_AUDIO), functions(k, SECOND));
        assertEquals(List.of(NVIDIA, NVIDIA_AUDIO), functions(k, NVIDIA));
    }

    @Test
    void aConsumerOfTwoGpusBelongsToTheLowestAddressedOne() {
        SimulatedKernel k = Hosts.parse(SHARED_CONSUMER);
        PciAddress usb = new PciAddress(0, 5, 0, 0);
        assertEquals(List.of(NVIDIA, NVIDIA_AUDIO, usb), functions(k, NVIDIA));
        assertEquals(List.of(SECOND, SECOND_AUDIO), functions(k, SECOND));
    }

    @Test
    void theLinkingGpusPlansNeverTouchTheOtherGpu() throws Exception {
        SimulatedKernel k = Hosts.parse(LINKED);
        Config config = Hosts.config("");
        HostSnapshot snap = Hosts.snapshot(k, config);
        PciDevice amd = snap.device(SECOND).orElseThrow();
        List<String> claim = Planner.claim(snap, amd, config).describe();
        assertTrue(claim.stream().noneMatch(s -> s.contains("0000:01:00.")), claim.toString());
        List<String> release = Planner.release(snap, amd, new ClaimRecord(SECOND, "vm2", 1,
                java.util.Map.of(SECOND, "amdgpu", SECOND_AUDIO, "snd_hda_intel"), List.of(), List.of())).describe();
        assertTrue(release.stream().noneMatch(s -> s.contains("0000:01:00.")), release.toString());
    }

    @Test
    void releasingTheLinkingGpuLeavesTheOtherGpuWithItsVm() throws Exception {
        SimulatedKernel k = Hosts.parse(LINKED);
        GpuManager m = Hosts.manager(k, state, Hosts.config(""));
        try {
            m.claim("01:00.0", "vm1");
            m.claim("02:00.0", "vm2");
            m.release("02:00.0", "vm2");
            assertEquals("vfio-pci", Hosts.device(k, NVIDIA).driver());
            assertEquals("vfio-pci", Hosts.device(k, NVIDIA_AUDIO).driver());
            assertEquals(GpuState.VFIO, m.gpu(NVIDIA).orElseThrow().state());
            assertEquals("vm1", m.gpu(NVIDIA).orElseThrow().holder());
            assertEquals("amdgpu", Hosts.device(k, SECOND).driver());
            assertEquals(List.of(SECOND, SECOND_AUDIO), m.gpu(SECOND).orElseThrow().functions());
        } finally {
            m.close();
        }
    }
}
