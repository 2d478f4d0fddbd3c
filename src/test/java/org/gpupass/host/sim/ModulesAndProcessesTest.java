package org.gpupass.host.sim;

import static org.gpupass.host.sim.SimAsserts.AUDIO;
import static org.gpupass.host.sim.SimAsserts.GPU;
import static org.gpupass.host.sim.SimAsserts.IGPU;
import static org.gpupass.host.sim.SimAsserts.driver;
import static org.gpupass.host.sim.SimAsserts.dualGpu;
import static org.gpupass.host.sim.SimAsserts.errno;
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
    void modulesShowUseCountsAndUsersButNoBuiltIns() throws Exception {
        Map<String, ModuleInfo> m = dualGpu().modules().loaded();
        assertEquals(List.of("i915", "nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm", "snd_hda_intel"),
                List.copyOf(m.keySet()));
        assertEquals(new ModuleInfo("nvidia", 2, List.of("nvidia_modeset", "nvidia_uvm")), m.get("nvidia"));
        assertEquals(new ModuleInfo("nvidia_modeset", 1, List.of("nvidia_drm")), m.get("nvidia_modeset"));
        assertEquals(new ModuleInfo("i915", 2, List.of()), m.get("i915"), "Xorg has card0 and renderD128 open");
        assertEquals(new ModuleInfo("nvidia_drm", 0, List.of()), m.get("nvidia_drm"));
    }

    @Test
    void unloadRefusesUnknownBuiltInAndBusyModules() throws Exception {
        SimulatedKernel k = dualGpu();
        assertEquals(Errno.ENOENT, errno(() -> k.modules().unload("vfio_pci")), "not loaded");
        assertEquals(Errno.ENOENT, errno(() -> k.modules().unload("ahci")), "built in");
        assertEquals(Errno.ENOENT, errno(() -> k.modules().unload("nosuch")));
        assertEquals(Errno.EBUSY, errno(() -> k.modules().unload("nvidia")), "used by nvidia_modeset and nvidia_uvm");
        assertEquals(Errno.EBUSY, errno(() -> k.modules().unload("i915")), "Xorg's open nodes pin it");
        assertEquals(6, k.modules().loaded().size());
    }

    @Test
    void unloadUnbindsItsDevicesAndDropsDriverWideNodes() throws Exception {
        SimulatedKernel k = dualGpu();
        k.modules().unload("nvidia_uvm");
        assertFalse(k.nodes().exists("/dev/nvidia-uvm"));
        k.modules().unload("nvidia_drm");
        assertEquals(List.of("/dev/nvidia0"), k.nodes().nodesOf(GPU));
        k.modules().unload("nvidia_modeset");
        k.modules().unload("nvidia");
        k.modules().unload("snd_hda_intel");
        assertEquals("", driver(k, GPU));
        assertEquals("", driver(k, AUDIO));
        assertFalse(k.nodes().exists("/dev/nvidiactl"));
        assertEquals(Optional.empty(), k.modules().moduleOfDriver("nvidia"));
        assertEquals(List.of("i915"), List.copyOf(k.modules().loaded().keySet()));
    }

    @Test
    void loadModuleLoadsDependenciesAndProbesOverriddenDevices() throws Exception {
        SimulatedKernel k = dualGpu();
        k.pci().setDriverOverride(GPU, "vfio-pci");
        k.pci().unbind(GPU, "nvidia");
        k.pci().unbind(AUDIO, "snd_hda_intel");
        k.modules().load("vfio_pci");
        assertEquals("vfio-pci", driver(k, GPU));
        assertEquals("", driver(k, AUDIO), "vfio-pci has no ID table and no override names it");
        assertTrue(k.nodes().exists("/dev/vfio/1"));
        assertTrue(k.nodes().exists("/dev/vfio/vfio"));
        Map<String, ModuleInfo> m = k.modules().loaded();
        assertEquals(List.of("vfio_iommu_type1", "vfio_pci", "vfio_pci_core"), m.get("vfio").usedBy());
        assertEquals(List.of("vfio_pci"), m.get("vfio_pci_core").usedBy());
        assertEquals(Optional.of("vfio_pci"), k.modules().moduleOfDriver("vfio-pci"));
        assertEquals(Errno.ENOENT, errno(() -> k.modules().load("nvidia_open")));
    }

    @Test
    void moduleOfDriverIsEmptyForBuiltInAndUnloadedDrivers() throws Exception {
        SimulatedKernel k = dualGpu();
        assertEquals(Optional.of("nvidia"), k.modules().moduleOfDriver("nvidia"));
        assertEquals(Optional.empty(), k.modules().moduleOfDriver("pcieport"));
        assertEquals(Optional.empty(), k.modules().moduleOfDriver("bochs-drm"));
        assertEquals(Optional.empty(), k.modules().moduleOfDriver("nosuch"));
    }

    @Test
    void extraUsersPinAModule() throws Exception {
        SimulatedKernel k = dualGpu();
        k.addModuleUser("snd_hda_intel");
        assertEquals(1, k.modules().loaded().get("snd_hda_intel").useCount());
        assertEquals(Errno.EBUSY, errno(() -> k.modules().unload("snd_hda_intel")));
        k.dropModuleUser("snd_hda_intel");
        k.modules().unload("snd_hda_intel");
        assertFalse(k.modules().loaded().containsKey("snd_hda_intel"));
    }

    @Test
    void holdersGivesOneEntryPerProcessAndNode() throws Exception {
        SimulatedKernel k = dualGpu();
        int xorg = k.pidsOf("sddm.service").get(0);
        List<NodeHolder> h = k.nodes().holders(List.of("/dev/dri/card0", "/dev/dri/renderD128", "/dev/dri/card1"));
        assertEquals(List.of(new NodeHolder(xorg, "Xorg", 0, "sddm.service", "/dev/dri/card0"),
                new NodeHolder(xorg, "Xorg", 0, "sddm.service", "/dev/dri/renderD128")), h);
        assertEquals(List.of(), k.nodes().holders(k.nodes().nodesOf(GPU)));
    }

    @Test
    void stopUnitKillsItsProcessesAndStartUnitSpawnsFreshOnes() throws Exception {
        SimulatedKernel k = dualGpu();
        int oldPid = k.pidsOf("sddm.service").get(0);
        k.units().stop("sddm.service");
        assertFalse(k.units().isActive("sddm.service"));
        assertEquals(List.of(), k.nodes().holders(k.nodes().nodesOf(IGPU)));
        assertEquals(0, k.modules().loaded().get("i915").useCount());
        k.units().stop("sddm.service");
        k.units().start("sddm.service");
        assertTrue(k.units().isActive("sddm.service"));
        int newPid = k.pidsOf("sddm.service").get(0);
        assertNotEquals(oldPid, newPid);
        assertEquals(2, k.nodes().holders(k.nodes().nodesOf(IGPU)).size());
        assertEquals(2, k.modules().loaded().get("i915").useCount());
    }

    @Test
    void startUnitOpensOnlyTheNodesThatExistThen() throws Exception {
        SimulatedKernel k = dualGpu();
        k.units().stop("sddm.service");
        k.pci().unbind(IGPU, "i915");
        k.units().start("sddm.service");
        k.pci().driversProbe(IGPU);
        assertEquals(List.of(), k.nodes().holders(k.nodes().nodesOf(IGPU)));
        assertEquals(0, k.modules().loaded().get("i915").useCount());
    }

    @Test
    void unknownUnitIsEnoentAndInactive() throws Exception {
        SimulatedKernel k = dualGpu();
        assertEquals(Errno.ENOENT, errno(() -> k.units().stop("gdm.service")));
        assertEquals(Errno.ENOENT, errno(() -> k.units().start("gdm.service")));
        assertFalse(k.units().isActive("gdm.service"));
    }

    @Test
    void unbindUnderOpenNodesLeavesStaleFilesThatStillPinTheModule() throws Exception {
        SimulatedKernel k = dualGpu();
        k.pci().unbind(IGPU, "i915");
        assertEquals(List.of(), k.nodes().holders(List.of("/dev/dri/card0", "/dev/dri/renderD128")));
        assertEquals(2, k.modules().loaded().get("i915").useCount(), "an open file keeps its module reference");
        k.pci().driversProbe(IGPU);
        assertTrue(k.nodes().exists("/dev/dri/card0"));
        assertEquals(List.of(), k.nodes().holders(List.of("/dev/dri/card0")), "the node that came back is a new one");
    }

    @Test
    void nvidiaUnbindUnderOpenNodesHangsUntilTheyAreClosed() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("single-gpu");
        CompletableFuture<Void> unbind = CompletableFuture.runAsync(() -> {
            try {
                k.pci().unbind(GPU, "nvidia");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        assertEquals("nvidia", driver(k, GPU));
        assertEquals("hung", k.writeLog().get(0).outcome());
        k.units().stop("sddm.service");
        assertEquals(1, k.hungCount(), "kwin_wayland still holds the nodes");
        k.pidsOf("session-2.scope").forEach(k::kill);
        unbind.get(5, TimeUnit.SECONDS);
        assertEquals("", driver(k, GPU));
        assertEquals("hung then ok", k.writeLog().get(0).outcome());
    }

    @Test
    void driverWideNvidiaNodesAreHeldButNotAFunctionsNodes() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("single-gpu");
        assertEquals(List.of("/dev/nvidia0", "/dev/dri/card0", "/dev/dri/renderD128"), k.nodes().nodesOf(GPU));
        assertTrue(k.nodes().exists("/dev/nvidia-uvm"));
        List<NodeHolder> ctl = k.nodes().holders(List.of("/dev/nvidiactl", "/dev/nvidia-modeset"));
        assertEquals(List.of("Xorg /dev/nvidiactl", "Xorg /dev/nvidia-modeset", "kwin_wayland /dev/nvidiactl"),
                ctl.stream().map(h -> h.command() + " " + h.node()).toList());
        assertEquals("session-2.scope", ctl.get(2).unit());
        assertEquals(1000, ctl.get(2).uid());
        assertEquals(6, k.modules().loaded().get("nvidia").useCount(), "2 modules + nvidia0 and nvidiactl in two processes");
    }

    @Test
    void spawnOpensNodesAndKillClosesThem() throws Exception {
        SimulatedKernel k = dualGpu();
        int pid = k.spawn("nvidia-smi", 1000, "", "0000:01:00.0", "/dev/nvidiactl");
        assertEquals(List.of(pid, pid), k.nodes().holders(List.of("/dev/nvidia0", "/dev/nvidiactl")).stream()
                .map(NodeHolder::pid).toList());
        assertTrue(k.kill(pid));
        assertEquals(List.of(), k.nodes().holders(List.of("/dev/nvidia0", "/dev/nvidiactl")));
    }

    @Test
    void awaitPathWakesOnTheWriteThatCreatesIt() throws Exception {
        SimulatedKernel k = dualGpu();
        assertFalse(k.nodes().awaitPath("/dev/vfio/1", Duration.ofMillis(20)));
        k.pci().setDriverOverride(AUDIO, "vfio-pci");
        k.pci().unbind(AUDIO, "snd_hda_intel");
        CompletableFuture<Boolean> seen = CompletableFuture.supplyAsync(() -> {
            try {
                return k.nodes().awaitPath("/dev/vfio/1", Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        k.modules().load("vfio_pci");
        assertTrue(seen.get(5, TimeUnit.SECONDS));
    }
}
