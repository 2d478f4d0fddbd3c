package org.gpupass.host.sim;

import static org.gpupass.host.sim.SimAsserts.AUDIO;
import static org.gpupass.host.sim.SimAsserts.GPU;
import static org.gpupass.host.sim.SimAsserts.IGPU;
import static org.gpupass.host.sim.SimAsserts.dev;
import static org.gpupass.host.sim.SimAsserts.driver;
import static org.gpupass.host.sim.SimAsserts.dualGpu;
import static org.gpupass.host.sim.SimAsserts.errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.gpupass.model.PciAddress;
import org.gpupass.host.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** driver_override, bind, unbind, drivers_probe, remove and rescan, as drivers/base/bus.c does them. */
@Timeout(10)
class BindingRulesTest {

    /** Two functions of one card, vfio_pci loaded, nothing else. */
    private static SimulatedKernel card() {
        return SimulatedKernel.builder()
                .load("vfio_pci")
                .device("0000:01:00.0", "10de:2705", 0x030000).driver("nvidia").group(1)
                .device("0000:01:00.1", "10de:22bb", 0x040300).driver("snd_hda_intel").group(1)
                .build();
    }

    @Test
    void driverOverrideIsOnlyStoredAndEmptyClearsIt() throws Exception {
        SimulatedKernel k = card();
        k.pci().setDriverOverride(GPU, "vfio-pci");
        assertEquals("nvidia", driver(k, GPU));
        assertEquals("vfio-pci", dev(k, GPU).driverOverride());
        k.pci().setDriverOverride(GPU, "\n");
        assertEquals("", dev(k, GPU).driverOverride());
    }

    @Test
    void unbindOfAnotherDriverIsEnodevAndChangesNothing() throws Exception {
        SimulatedKernel k = card();
        assertEquals(Errno.ENODEV, errno(() -> k.pci().unbind(GPU, "snd_hda_intel")));
        assertEquals("nvidia", driver(k, GPU));
        assertEquals(List.of("/dev/nvidia0"), k.nodes().nodesOf(GPU), "no nvidia_drm: no DRM nodes");
        assertEquals("ENODEV", k.writeLog().get(0).outcome());
    }

    @Test
    void unbindRemovesTheDriverAndTheNodes() throws Exception {
        SimulatedKernel k = card();
        assertEquals(List.of("/dev/snd/controlC0", "/dev/snd/pcmC0D3p", "/dev/snd/hwC0D0"), k.nodes().nodesOf(AUDIO));
        k.pci().unbind(AUDIO, "snd_hda_intel");
        assertEquals("", driver(k, AUDIO));
        assertEquals(List.of(), k.nodes().nodesOf(AUDIO));
        assertFalse(k.nodes().exists("/dev/snd/controlC0"));
    }

    @Test
    void unbindOrBindThroughAnUnregisteredDriverIsEnoentLikeTheMissingSysfsFile() throws Exception {
        SimulatedKernel k = card();
        assertEquals(Errno.ENOENT, errno(() -> k.pci().unbind(GPU, "amdgpu")));
        assertEquals(Errno.ENOENT, errno(() -> k.pci().bind(GPU, "nouveau")));
    }

    @Test
    void bindToABoundDeviceIsEnodev() throws Exception {
        SimulatedKernel k = card();
        assertEquals(Errno.ENODEV, errno(() -> k.pci().bind(GPU, "vfio-pci")));
        assertEquals(Errno.ENODEV, errno(() -> k.pci().bind(GPU, "nvidia")));
        assertEquals("nvidia", driver(k, GPU));
    }

    @Test
    void bindNeedsAnIdTableMatchOrTheOverride() throws Exception {
        SimulatedKernel k = card();
        k.pci().unbind(AUDIO, "snd_hda_intel");
        assertEquals(Errno.ENODEV, errno(() -> k.pci().bind(AUDIO, "vfio-pci")), "vfio-pci has no ID table");
        assertEquals(Errno.ENODEV, errno(() -> k.pci().bind(AUDIO, "nvidia")), "nvidia does not match class 0x0403");
        k.pci().setDriverOverride(AUDIO, "vfio-pci");
        assertEquals(Errno.ENODEV, errno(() -> k.pci().bind(AUDIO, "snd_hda_intel")), "the override names another driver");
        k.pci().bind(AUDIO, "vfio-pci");
        assertEquals("vfio-pci", driver(k, AUDIO));
    }

    @Test
    void driversProbePrefersTheOverrideThenTheIdTable() throws Exception {
        SimulatedKernel k = card();
        k.pci().driversProbe(GPU);
        assertEquals("nvidia", driver(k, GPU), "bound already: no-op");
        k.pci().setDriverOverride(GPU, "vfio-pci");
        k.pci().unbind(GPU, "nvidia");
        k.pci().driversProbe(GPU);
        assertEquals("vfio-pci", driver(k, GPU));
        k.pci().setDriverOverride(GPU, "");
        k.pci().unbind(GPU, "vfio-pci");
        k.pci().driversProbe(GPU);
        assertEquals("nvidia", driver(k, GPU));
    }

    @Test
    void driversProbeWithAnUnloadedOverrideSucceedsAndLeavesItUnbound() throws Exception {
        SimulatedKernel k = card();
        k.pci().setDriverOverride(AUDIO, "amdgpu");
        k.pci().unbind(AUDIO, "snd_hda_intel");
        k.pci().driversProbe(AUDIO);
        assertEquals("", driver(k, AUDIO));
        assertEquals("ok", k.writeLog().get(2).outcome());
    }

    @Test
    void probeTriesDriversInRegistrationOrder() throws Exception {
        SimulatedKernel k = card();
        k.modules().load("nouveau");
        k.pci().unbind(GPU, "nvidia");
        k.pci().driversProbe(GPU);
        assertEquals("nvidia", driver(k, GPU), "nvidia registered before nouveau");
    }

    @Test
    void vfioGroupNodeLivesFromTheFirstBoundDeviceToTheLast() throws Exception {
        SimulatedKernel k = card();
        assertTrue(k.nodes().exists("/dev/vfio/vfio"));
        for (PciAddress f : List.of(GPU, AUDIO)) {
            k.pci().setDriverOverride(f, "vfio-pci");
        }
        k.pci().unbind(GPU, "nvidia");
        assertFalse(k.nodes().exists("/dev/vfio/1"));
        k.pci().driversProbe(GPU);
        assertTrue(k.nodes().exists("/dev/vfio/1"));
        assertEquals(List.of(), k.nodes().nodesOf(GPU), "/dev/vfio/N is the group's, not the function's");
        k.pci().unbind(AUDIO, "snd_hda_intel");
        k.pci().driversProbe(AUDIO);
        k.pci().unbind(GPU, "vfio-pci");
        assertTrue(k.nodes().exists("/dev/vfio/1"), "the audio function still holds the group");
        k.pci().unbind(AUDIO, "vfio-pci");
        assertFalse(k.nodes().exists("/dev/vfio/1"));
    }

    @Test
    void vfioPciRefusesWithoutIommuAndGroupsReadMinusOne() throws Exception {
        SimulatedKernel k = SimulatedKernel.builder().iommu(false).load("vfio_pci")
                .device("0000:01:00.0", "10de:2705", 0x030000).group(1).override("vfio-pci")
                .build();
        assertFalse(k.pci().iommuEnabled());
        assertEquals(-1, dev(k, GPU).iommuGroup());
        assertEquals(Errno.EINVAL, errno(() -> k.pci().bind(GPU, "vfio-pci")));
        k.pci().driversProbe(GPU);
        assertEquals("", driver(k, GPU));
        assertEquals(List.of("ok"), k.writeLog().stream().skip(1).map(WriteRecord::outcome).toList());
    }

    @Test
    void drmMinorsAreStablePerDevice() throws Exception {
        SimulatedKernel k = dualGpu();
        assertEquals(List.of("/dev/dri/card0", "/dev/dri/renderD128"), k.nodes().nodesOf(IGPU));
        k.pci().unbind(GPU, "nvidia");
        k.pci().unbind(IGPU, "i915");
        k.pci().driversProbe(GPU);
        k.pci().driversProbe(IGPU);
        assertEquals(List.of("/dev/dri/card0", "/dev/dri/renderD128"), k.nodes().nodesOf(IGPU));
        assertEquals(List.of("/dev/nvidia0", "/dev/dri/card1", "/dev/dri/renderD129"), k.nodes().nodesOf(GPU));
    }

    @Test
    void nvidiaDrmNodesExistOnlyWhileNvidiaDrmIsLoaded() throws Exception {
        SimulatedKernel k = SimulatedKernel.builder()
                .device("0000:01:00.0", "10de:2705", 0x030000).driver("nvidia")
                .build();
        assertEquals(List.of("/dev/nvidia0"), k.nodes().nodesOf(GPU));
        assertTrue(k.nodes().exists("/dev/nvidiactl"));
        assertFalse(k.nodes().exists("/dev/nvidia-modeset"));
        k.modules().load("nvidia_drm");
        assertEquals(List.of("/dev/nvidia0", "/dev/dri/card0", "/dev/dri/renderD128"), k.nodes().nodesOf(GPU));
        assertTrue(k.nodes().exists("/dev/nvidia-modeset"));
    }

    @Test
    void removedDeviceIsGoneAndItsFilesAnswerEnoent() throws Exception {
        SimulatedKernel k = card();
        k.pci().remove(AUDIO);
        assertNull(dev(k, AUDIO));
        assertEquals(List.of(), k.nodes().nodesOf(AUDIO));
        assertFalse(k.nodes().exists("/dev/snd/controlC0"));
        assertEquals(Errno.ENOENT, errno(() -> k.pci().setDriverOverride(AUDIO, "vfio-pci")));
        assertEquals(Errno.ENOENT, errno(() -> k.pci().remove(AUDIO)));
        assertEquals(Errno.ENODEV, errno(() -> k.pci().bind(AUDIO, "snd_hda_intel")));
        assertEquals(Errno.ENODEV, errno(() -> k.pci().driversProbe(AUDIO)));
    }

    @Test
    void rescanBringsRemovedDevicesBackWithoutOverrideAndProbed() throws Exception {
        SimulatedKernel k = card();
        k.pci().setDriverOverride(GPU, "vfio-pci");
        k.pci().remove(GPU);
        k.pci().rescan();
        assertEquals("nvidia", driver(k, GPU));
        assertEquals("", dev(k, GPU).driverOverride());
        assertEquals(List.of("/dev/nvidia0"), k.nodes().nodesOf(GPU));
    }

    @Test
    void pciDevicesAreSortedAndCarryTheDescription() throws Exception {
        SimulatedKernel k = SimulatedKernel.builder()
                .device("0000:01:00.1", "10de:22bb", 0x040300).group(7)
                .device("0000:00:02.0", "8086:a780", 0x030000).name("iGPU").bootVga().consumers("0000:01:00.1")
                .build();
        assertEquals(List.of(IGPU, AUDIO), k.pci().devices().stream().map(d -> d.address()).toList());
        var igpu = dev(k, IGPU);
        assertEquals("iGPU", igpu.name());
        assertEquals(0x8086, igpu.vendorId());
        assertEquals(0xa780, igpu.deviceId());
        assertTrue(igpu.bootVga());
        assertEquals(8, igpu.iommuGroup(), "a device without a group gets a fresh one");
        assertEquals(List.of(AUDIO), igpu.consumers());
        assertEquals(7, dev(k, AUDIO).iommuGroup());
    }
}
