package org.gpupass.core;

import static org.gpupass.core.Hosts.INTEL;
import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.gpupass.core.Hosts.SATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gpupass.host.Errno;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.Host;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.state.StateStore;
import org.gpupass.state.TransitionLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuManagerTest extends GpuManagerTestBase {
    @Test
    void dualGpuStatusMatchesTheSpec() throws Exception {
        GpuManager m = open(Hosts.builtIn("dual-gpu"), "");
        List<GpuStatus> gpus = m.gpus();
        assertEquals(List.of(INTEL, NVIDIA), gpus.stream().map(GpuStatus::address).toList());
        GpuStatus intel = gpus.get(0);
        assertTrue(intel.bootVga());
        assertFalse(intel.claimable());
        GpuStatus nvidia = gpus.get(1);
        assertEquals("NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]", nvidia.name());
        assertEquals(0x10de, nvidia.vendorId());
        assertEquals(0x2705, nvidia.deviceId());
        assertEquals(GpuState.HOST, nvidia.state());
        assertEquals("nvidia", nvidia.driver());
        assertEquals("nvidia", nvidia.hostDriver());
        assertEquals(List.of(NVIDIA, NVIDIA_AUDIO), nvidia.functions());
        assertEquals(1, nvidia.iommuGroup());
        assertFalse(nvidia.bootVga());
        assertTrue(nvidia.claimable(), nvidia.blockers().toString());
        assertEquals(List.of(), nvidia.blockers());
        assertEquals("", nvidia.holder());
        assertEquals("", nvidia.lastError());
    }

    @Test
    void sharedGroupNamesTheSataControllerAsBlocker() throws Exception {
        GpuStatus nvidia = open(Hosts.builtIn("shared-group"), "").gpu(NVIDIA).orElseThrow();
        assertFalse(nvidia.claimable());
        assertEquals(List.of("IOMMU group 1 also holds 0000:00:17.0 (SATA controller)"), nvidia.blockers());
    }

    @Test
    void singleGpuIsTheBootDisplayAndInUse() throws Exception {
        GpuStatus nvidia = open(Hosts.builtIn("single-gpu"), "").gpu(NVIDIA).orElseThrow();
        assertTrue(nvidia.bootVga());
        assertFalse(nvidia.claimable());
        assertTrue(nvidia.blockers().get(0).contains("boot display"), nvidia.blockers().toString());
        assertTrue(nvidia.blockers().stream().anyMatch(b -> b.contains("(Xorg, uid 0, sddm.service) holds")));
    }

    @Test
    void claimMovesEveryFunctionToVfioAndReleaseBringsThemBack() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        GpuStatus claimed = m.claim("01:00.0", "win11");
        assertEquals(GpuState.VFIO, claimed.state());
        assertEquals("win11", claimed.holder());
        assertEquals("vfio-pci", driver(k, NVIDIA));
        assertEquals("vfio-pci", driver(k, NVIDIA_AUDIO));
        assertTrue(k.nodes().exists("/dev/vfio/1"));
        assertTrue(Files.exists(state.resolve("claims/pci_0000_01_00_0.claim")));
        assertFalse(Files.exists(state.resolve("intent")));
        assertEquals("nvidia", claimed.hostDriver());

        GpuStatus released = m.release("0000:01:00.1", "win11");
        assertEquals(GpuState.HOST, released.state());
        assertEquals("nvidia", driver(k, NVIDIA));
        assertEquals("snd_hda_intel", driver(k, NVIDIA_AUDIO));
        assertEquals("", override(k, NVIDIA));
        assertEquals("", override(k, NVIDIA_AUDIO));
        assertFalse(k.nodes().exists("/dev/vfio/1"));
        assertFalse(Files.exists(state.resolve("claims/pci_0000_01_00_0.claim")));
        assertEquals("", released.holder());
    }

    @Test
    void claimAnnouncesHostClaimingVfioInOrder() throws Exception {
        GpuManager m = open(Hosts.builtIn("dual-gpu"), "");
        RecordingListener events = new RecordingListener();
        m.addListener(events);
        m.claim("", "win11");
        m.release("", "win11");
        assertEquals(List.of("0000:01:00.0 host->claiming", "0000:01:00.0 claiming->vfio",
                "0000:01:00.0 vfio->releasing", "0000:01:00.0 releasing->host"), events.stateChanges());
        assertEquals(List.of("claim 0000:01:00.0 for win11", "", "release 0000:01:00.0 from win11", ""),
                events.transitions);
    }

    @Test
    void claimsAreIdempotentAndReleaseTwiceIsHarmless() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        m.claim("01:00.0", "win11");
        int writes = k.writeCount();
        assertEquals(GpuState.VFIO, m.claim("0000:01:00.1", "win11").state());
        assertEquals(GpuState.VFIO, m.claim("", "win11").state());
        assertEquals(writes, k.writeCount());
        m.release("01:00.0", "win11");
        writes = k.writeCount();
        assertEquals(GpuState.HOST, m.release("01:00.0", "win11").state());
        assertEquals(GpuState.HOST, m.release("01:00.0", "").state());
        assertEquals(writes, k.writeCount());
    }

    @Test
    void anotherHolderIsRefusedAndAnEmptyHolderForcesTheRelease() throws Exception {
        GpuManager m = open(Hosts.builtIn("dual-gpu"), "");
        m.claim("01:00.0", "win11");
        GpuPassException taken = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "linux-vm"));
        assertEquals(ErrorKind.ALREADY_CLAIMED, taken.kind());
        assertTrue(taken.getMessage().contains("win11"));
        GpuPassException notYours = assertThrows(GpuPassException.class, () -> m.release("01:00.0", "linux-vm"));
        assertEquals(ErrorKind.NOT_HOLDER, notYours.kind());
        assertEquals(GpuState.VFIO, m.gpu(NVIDIA).orElseThrow().state());
        assertEquals(GpuState.HOST, m.release("01:00.0", "").state());
    }

    @Test
    void aGpuAlreadyOnVfioIsAdoptedWithoutATransition() throws Exception {
        SimulatedKernel k = Hosts.onVfio(Hosts.builtIn("dual-gpu"), NVIDIA, NVIDIA_AUDIO);
        GpuManager m = open(k, "");
        assertEquals("", m.gpu(NVIDIA).orElseThrow().holder());
        int writes = k.writeCount();
        assertEquals("win11", m.claim("01:00.0", "win11").holder());
        assertEquals(writes, k.writeCount());
    }

    @Test
    void badArgumentsGetTypedErrorsAndChangeNothing() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        int writes = k.writeCount();
        assertEquals(ErrorKind.INVALID_ARGUMENT, kindOf(() -> m.claim("01:00", "win11")));
        assertEquals(ErrorKind.INVALID_ARGUMENT, kindOf(() -> m.claim("01:00.0", "")));
        assertEquals(ErrorKind.INVALID_ARGUMENT, kindOf(() -> m.claim("01:00.0", "a\nb")));
        assertEquals(ErrorKind.INVALID_ARGUMENT, kindOf(() -> m.claim("01:00.0", "x".repeat(129))));
        assertEquals(ErrorKind.NO_SUCH_DEVICE, kindOf(() -> m.claim(SATA.toString(), "win11")));
        assertEquals(ErrorKind.NO_SUCH_DEVICE, kindOf(() -> m.claim("0000:09:00.0", "win11")));
        assertEquals(ErrorKind.BOOT_DISPLAY, kindOf(() -> m.claim(INTEL.toString(), "win11")));
        assertEquals(writes, k.writeCount());
        assertEquals(GpuState.HOST, m.gpu(NVIDIA).orElseThrow().state());
    }

    @Test
    void emptyDeviceIsAmbiguousWithTwoClaimableGpusAndMissingWithNone() throws Exception {
        assertEquals(ErrorKind.AMBIGUOUS, kindOf(() -> open(Hosts.parse(Hosts.TWO_DISCRETE), "").claim("", "vm")));
        close();
        opened.clear();
        assertEquals(ErrorKind.NO_SUCH_DEVICE, kindOf(() -> open(Hosts.builtIn("shared-group"), "").claim("", "vm")));
    }

    @Test
    void refusalsSetLastErrorAndSignalTransitionFailed() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        RecordingListener events = new RecordingListener();
        m.addListener(events);
        int pid = k.spawn("ollama", 998, "ollama.service", "/dev/nvidia0");
        m.refresh();
        GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
        assertEquals(ErrorKind.IN_USE, e.kind());
        assertTrue(e.getMessage().contains("pid " + pid + " (ollama, uid 998, ollama.service)"), e.getMessage());
        assertEquals(List.of("0000:01:00.0 org.gpupass1.Error.InUse"), events.failures);
        assertEquals(e.getMessage(), m.gpu(NVIDIA).orElseThrow().lastError());
        assertEquals("nvidia", driver(k, NVIDIA));
    }

    @Test
    void aClaimedGpuReboundOutsideTheDaemonIsNoLongerClaimed() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        m.claim("01:00.0", "win11");
        Hosts.rebindToHostDrivers(k, NVIDIA, NVIDIA_AUDIO);
        m.refresh();
        GpuStatus gpu = m.gpu(NVIDIA).orElseThrow();
        assertEquals(GpuState.HOST, gpu.state());
        assertEquals("", gpu.holder());
        assertFalse(Files.exists(state.resolve("claims/pci_0000_01_00_0.claim")));
        assertEquals("linux", m.claim("01:00.0", "linux").holder());
    }

    @Test
    void aRefreshThatReadTheHostBeforeATransitionDoesNotPublishItsStaleView() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        java.util.concurrent.CountDownLatch readStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch transitionDone = new java.util.concurrent.CountDownLatch(1);
        // A host whose first device read on the "slow-refresh" thread sees the old state, then waits.
        org.gpupass.host.PciBus slowPci = (org.gpupass.host.PciBus) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.gpupass.host.PciBus.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(k.pci(), args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("devices") && Thread.currentThread().getName().equals("slow-refresh")
                            && readStarted.getCount() == 1) {
                        readStarted.countDown();
                        transitionDone.await();
                    }
                    return result;
                });
        org.gpupass.host.Host slow = new org.gpupass.host.Host(slowPci, k.nodes(), k.modules(), k.units(), k.consoles());
        GpuManager m = new GpuManager(slow, Hosts.config(""), new StateStore(state), "test", (i, step) -> { });
        m.start();
        opened.add(m);
        RecordingListener events = new RecordingListener();
        m.addListener(events);
        Thread refresher = new Thread(m::refresh, "slow-refresh");
        refresher.start();
        readStarted.await();
        m.claim("01:00.0", "win11");
        transitionDone.countDown();
        refresher.join();
        assertEquals(List.of("0000:01:00.0 host->claiming", "0000:01:00.0 claiming->vfio"), events.stateChanges());
        assertEquals("win11", m.gpu(NVIDIA).orElseThrow().holder());
        assertTrue(Files.exists(state.resolve("claims/pci_0000_01_00_0.claim")));
    }

    @Test
    void aStuckGpuIsFencedWhileTheRestKeepsWorking() throws Exception {
        SimulatedKernel k = Hosts.parse(Hosts.TWO_DISCRETE);
        GpuManager m = open(k, "write_timeout = 300ms");
        k.hangOn(SimulatedKernel.Op.UNBIND, NVIDIA.toString());
        GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
        assertEquals(ErrorKind.STUCK, e.kind());
        assertTrue(e.getMessage().contains("unbind 0000:01:00.0 from nvidia"), e.getMessage());
        assertEquals(GpuState.STUCK, m.gpu(NVIDIA).orElseThrow().state());
        assertFalse(m.gpu(NVIDIA).orElseThrow().claimable());
        assertEquals(ErrorKind.STUCK, kindOf(() -> m.claim("01:00.0", "win11")));
        assertEquals(GpuState.VFIO, m.claim("02:00.0", "linux").state());
        assertTrue(m.healthy());
        k.releaseHangs();
    }

    @Test
    void theTransitionLockTimesOutWithBusy() throws Exception {
        GpuManager m = open(Hosts.builtIn("dual-gpu"), "lock_timeout = 50ms");
        TransitionLock secondInstance = new TransitionLock(state.resolve("transition.lock"));
        try (TransitionLock.Held held = secondInstance.acquire(java.time.Duration.ofSeconds(1), "")) {
            GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
            assertEquals(ErrorKind.BUSY, e.kind());
        }
        assertEquals(GpuState.VFIO, m.claim("01:00.0", "win11").state());
    }

    static ErrorKind kindOf(Call call) {
        try {
            call.run();
            return null;
        } catch (GpuPassException e) {
            return e.kind();
        }
    }

    interface Call {
        void run() throws GpuPassException;
    }
}
