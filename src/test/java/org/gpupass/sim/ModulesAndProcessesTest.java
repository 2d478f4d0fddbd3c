package org.gpupass.sim;

import static org.gpupass.sim.SimAsserts.AUDIO;
import static org.gpupass.sim.SimAsserts.GPU;
import static org.gpupass.sim.SimAsserts.IGPU;
import static org.gpupass.sim.SimAsserts.driver;
import static org.gpupass.sim.SimAsserts.dualGpu;
import static org.gpupass.sim.SimAsserts.errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.gpupass.host.Errno;
import org.gpupass.host.ModuleInfo;
import org.gpupass.host.NodeHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Module use counts, load and unload, open nodes, processes and systemd units. */
@Timeout(10)
class ModulesAndProcessesTest {

    @Test
    void modulesShowUseCountsAndUsersButNoBuiltIns() {
        Map<String, ModuleInfo> m = dualGpu().modules();
        assertEquals(List.of("i915", "nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm", "snd_hda_intel"),
                List.copyOf(m.keySet()));
        assertEquals(new ModuleInfo("nvidia", 2, List.of("nvidia_modeset", "nvidia_uvm")), m.get("nvidia"));
        assertEquals(new ModuleInfo("nvidia_modeset", 1, List.of("nvidia_drm")), m.get("nvidia_modeset"));
        assertEquals(new ModuleInfo("i915", 2, List.of()), m.get("i915"), "Xorg has card0 and renderD128 open");
        assertEquals(new ModuleInfo("nvidia_drm", 0, List.of()), m.get("nvidia_drm"));
    }

    @Test
    void unloadRefusesUnknownBuiltInAndBusyModules() {
        SimulatedKernel k = dualGpu();
        assertEquals(Errno.ENOENT, errno(() -> k.unloadModule("vfio_pci")), "not loaded");
        assertEquals(Errno.ENOENT, errno(() -> k.unloadModule("ahci")), "built in");
        assertEquals(Errno.ENOENT, errno(() -> k.unloadModule("nosuch")));
        assertEquals(Errno.EBUSY, errno(() -> k.unloadModule("nvidia")), "used by nvidia_modeset and nvidia_uvm");
        assertEquals(Errno.EBUSY, errno(() -> k.unloadModule("i915")), "Xorg's open nodes pin it");
        assertEquals(6, k.modules().size());
    }

    @Test
    void unloadUnbindsItsDevicesAndDropsDriverWideNodes() throws Exception {
        SimulatedKernel k = dualGpu();
        k.unloadModule("nvidia_uvm");
        assertFalse(k.exists("/dev/nvidia-uvm"));
        k.unloadModule("nvidia_drm");
        assertEquals(List.of("/dev/nvidia0"), k.deviceNodes(GPU));
        k.unloadModule("nvidia_modeset");
        k.unloadModule("nvidia");
        k.unloadModule("snd_hda_intel");
        assertEquals("", driver(k, GPU));
        assertEquals("", driver(k, AUDIO));
        assertFalse(k.exists("/dev/nvidiactl"));
        assertEquals(Optional.empty(), k.moduleOfDriver("nvidia"));
        assertEquals(List.of("i915"), List.copyOf(k.modules().keySet()));
    }

    @Test
    void loadModuleLoadsDependenciesAndProbesOverriddenDevices() throws Exception {
        SimulatedKernel k = dualGpu();
        k.setDriverOverride(GPU, "vfio-pci");
        k.unbind(GPU, "nvidia");
        k.unbind(AUDIO, "snd_hda_intel");
        k.loadModule("vfio_pci");
        assertEquals("vfio-pci", driver(k, GPU));
        assertEquals("", driver(k, AUDIO), "vfio-pci has no ID table and no override names it");
        assertTrue(k.exists("/dev/vfio/1"));
        assertTrue(k.exists("/dev/vfio/vfio"));
        Map<String, ModuleInfo> m = k.modules();
        assertEquals(List.of("vfio_iommu_type1", "vfio_pci", "vfio_pci_core"), m.get("vfio").usedBy());
        assertEquals(List.of("vfio_pci"), m.get("vfio_pci_core").usedBy());
        assertEquals(Optional.of("vfio_pci"), k.moduleOfDriver("vfio-pci"));
        assertEquals(Errno.ENOENT, errno(() -> k.loadModule("nvidia_open")));
    }

    @Test
    void moduleOfDriverIsEmptyForBuiltInAndUnloadedDrivers() {
        SimulatedKernel k = dualGpu();
        assertEquals(Optional.of("nvidia"), k.moduleOfDriver("nvidia"));
        assertEquals(Optional.empty(), k.moduleOfDriver("pcieport"));
        assertEquals(Optional.empty(), k.moduleOfDriver("bochs-drm"));
        assertEquals(Optional.empty(), k.moduleOfDriver("nosuch"));
    }

    @Test
    void extraUsersPinAModule() throws Exception {
        SimulatedKernel k = dualGpu();
        k.addModuleUser("snd_hda_intel");
        assertEquals(1, k.modules().get("snd_hda_intel").useCount());
        assertEquals(Errno.EBUSY, errno(() -> k.unloadModule("snd_hda_intel")));
        k.dropModuleUser("snd_hda_intel");
        k.unloadModule("snd_hda_intel");
        assertFalse(k.modules().containsKey("snd_hda_intel"));
    }

    @Test
    void holdersGivesOneEntryPerProcessAndNode() {
        SimulatedKernel k = dualGpu();
        int xorg = k.pidsOf("sddm.service").get(0);
        List<NodeHolder> h = k.holders(List.of("/dev/dri/card0", "/dev/dri/renderD128", "/dev/dri/card1"));
        assertEquals(List.of(new NodeHolder(xorg, "Xorg", 0, "sddm.service", "/dev/dri/card0"),
                new NodeHolder(xorg, "Xorg", 0, "sddm.service", "/dev/dri/renderD128")), h);
        assertEquals(List.of(), k.holders(k.deviceNodes(GPU)));
    }

    @Test
    void stopUnitKillsItsProcessesAndStartUnitSpawnsFreshOnes() throws Exception {
        SimulatedKernel k = dualGpu();
        int oldPid = k.pidsOf("sddm.service").get(0);
        k.stopUnit("sddm.service");
        assertFalse(k.unitActive("sddm.service"));
        assertEquals(List.of(), k.holders(k.deviceNodes(IGPU)));
        assertEquals(0, k.modules().get("i915").useCount());
        k.stopUnit("sddm.service");
        k.startUnit("sddm.service");
        assertTrue(k.unitActive("sddm.service"));
        int newPid = k.pidsOf("sddm.service").get(0);
        assertNotEquals(oldPid, newPid);
        assertEquals(2, k.holders(k.deviceNodes(IGPU)).size());
        assertEquals(2, k.modules().get("i915").useCount());
    }

    @Test
    void startUnitOpensOnlyTheNodesThatExistThen() throws Exception {
        SimulatedKernel k = dualGpu();
        k.stopUnit("sddm.service");
        k.unbind(IGPU, "i915");
        k.startUnit("sddm.service");
        k.driversProbe(IGPU);
        assertEquals(List.of(), k.holders(k.deviceNodes(IGPU)));
        assertEquals(0, k.modules().get("i915").useCount());
    }

    @Test
    void unknownUnitIsEnoentAndInactive() {
        SimulatedKernel k = dualGpu();
        assertEquals(Errno.ENOENT, errno(() -> k.stopUnit("gdm.service")));
        assertEquals(Errno.ENOENT, errno(() -> k.startUnit("gdm.service")));
        assertFalse(k.unitActive("gdm.service"));
    }

    @Test
    void unbindUnderOpenNodesLeavesStaleFilesThatStillPinTheModule() throws Exception {
        SimulatedKernel k = dualGpu();
        k.unbind(IGPU, "i915");
        assertEquals(List.of(), k.holders(List.of("/dev/dri/card0", "/dev/dri/renderD128")));
        assertEquals(2, k.modules().get("i915").useCount(), "an open file keeps its module reference");
        k.driversProbe(IGPU);
        assertTrue(k.exists("/dev/dri/card0"));
        assertEquals(List.of(), k.holders(List.of("/dev/dri/card0")), "the node that came back is a new one");
    }

    @Test
    void nvidiaUnbindUnderOpenNodesHangsUntilTheyAreClosed() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("single-gpu");
        CompletableFuture<Void> unbind = CompletableFuture.runAsync(() -> {
            try {
                k.unbind(GPU, "nvidia");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        assertEquals("nvidia", driver(k, GPU));
        assertEquals("hung", k.writeLog().get(0).outcome());
        k.stopUnit("sddm.service");
        assertEquals(1, k.hungCount(), "kwin_wayland still holds the nodes");
        k.pidsOf("session-2.scope").forEach(k::kill);
        unbind.get(5, TimeUnit.SECONDS);
        assertEquals("", driver(k, GPU));
        assertEquals("hung then ok", k.writeLog().get(0).outcome());
    }

    @Test
    void driverWideNvidiaNodesAreHeldButNotAFunctionsNodes() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("single-gpu");
        assertEquals(List.of("/dev/nvidia0", "/dev/dri/card0", "/dev/dri/renderD128"), k.deviceNodes(GPU));
        assertTrue(k.exists("/dev/nvidia-uvm"));
        List<NodeHolder> ctl = k.holders(List.of("/dev/nvidiactl", "/dev/nvidia-modeset"));
        assertEquals(List.of("Xorg /dev/nvidiactl", "Xorg /dev/nvidia-modeset", "kwin_wayland /dev/nvidiactl"),
                ctl.stream().map(h -> h.command() + " " + h.node()).toList());
        assertEquals("session-2.scope", ctl.get(2).unit());
        assertEquals(1000, ctl.get(2).uid());
        assertEquals(6, k.modules().get("nvidia").useCount(), "2 modules + nvidia0 and nvidiactl in two processes");
    }

    @Test
    void spawnOpensNodesAndKillClosesThem() {
        SimulatedKernel k = dualGpu();
        int pid = k.spawn("nvidia-smi", 1000, "", "0000:01:00.0", "/dev/nvidiactl");
        assertEquals(List.of(pid, pid), k.holders(List.of("/dev/nvidia0", "/dev/nvidiactl")).stream()
                .map(NodeHolder::pid).toList());
        assertTrue(k.kill(pid));
        assertEquals(List.of(), k.holders(List.of("/dev/nvidia0", "/dev/nvidiactl")));
    }

    @Test
    void awaitPathWakesOnTheWriteThatCreatesIt() throws Exception {
        SimulatedKernel k = dualGpu();
        assertFalse(k.awaitPath("/dev/vfio/1", Duration.ofMillis(20)));
        k.setDriverOverride(AUDIO, "vfio-pci");
        k.unbind(AUDIO, "snd_hda_intel");
        CompletableFuture<Boolean> seen = CompletableFuture.supplyAsync(() -> {
            try {
                return k.awaitPath("/dev/vfio/1", Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        k.loadModule("vfio_pci");
        assertTrue(seen.get(5, TimeUnit.SECONDS));
    }
}
