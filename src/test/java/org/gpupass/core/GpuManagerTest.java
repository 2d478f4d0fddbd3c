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
import org.gpupass.sim.SimulatedKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuManagerTest {
    @TempDir
    Path state;

    private final List<GpuManager> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(GpuManager::close);
    }

    private GpuManager open(SimulatedKernel kernel, String config) {
        GpuManager m = Hosts.manager(kernel, state, Hosts.config(config));
        opened.add(m);
        return m;
    }

    private static String driver(SimulatedKernel k, PciAddress a) {
        return Hosts.device(k, a).driver();
    }

    private static String override(SimulatedKernel k, PciAddress a) {
        return Hosts.device(k, a).driverOverride();
    }

    @Test
    void dualGpuStatusMatchesTheSpec() {
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
    void sharedGroupNamesTheSataControllerAsBlocker() {
        GpuStatus nvidia = open(Hosts.builtIn("shared-group"), "").gpu(NVIDIA).orElseThrow();
        assertFalse(nvidia.claimable());
        assertEquals(List.of("IOMMU group 1 also holds 0000:00:17.0 (SATA controller)"), nvidia.blockers());
    }

    @Test
    void singleGpuIsTheBootDisplayAndInUse() {
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
        assertTrue(k.exists("/dev/vfio/1"));
        assertTrue(Files.exists(state.resolve("claims/pci_0000_01_00_0.claim")));
        assertFalse(Files.exists(state.resolve("intent")));
        assertEquals("nvidia", claimed.hostDriver());

        GpuStatus released = m.release("0000:01:00.1", "win11");
        assertEquals(GpuState.HOST, released.state());
        assertEquals("nvidia", driver(k, NVIDIA));
        assertEquals("snd_hda_intel", driver(k, NVIDIA_AUDIO));
        assertEquals("", override(k, NVIDIA));
        assertEquals("", override(k, NVIDIA_AUDIO));
        assertFalse(k.exists("/dev/vfio/1"));
        assertFalse(Files.exists(state.resolve("claims/pci_0000_01_00_0.claim")));
        assertEquals("", released.holder());
    }

    @Test
    void claimAnnouncesHostClaimingVfioInOrderWithTheirHolders() throws Exception {
        GpuManager m = open(Hosts.builtIn("dual-gpu"), "");
        RecordingListener events = new RecordingListener();
        m.addListener(events);
        m.claim("", "win11");
        m.release("", "win11");
        assertEquals(List.of("0000:01:00.0 host->claiming", "0000:01:00.0 claiming->vfio",
                "0000:01:00.0 vfio->releasing", "0000:01:00.0 releasing->host"), events.stateChanges());
        assertEquals(List.of("claim 0000:01:00.0 for win11", "", "release 0000:01:00.0 from win11", ""),
                events.transitions);
        // docs/dbus-api.md, StateChanged: the claimant while claiming and once vfio, "" back on host.
        assertEquals(List.of("host>claiming:win11", "claiming>vfio:win11", "vfio>releasing:win11", "releasing>host:"),
                events.holders);
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
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        k.loadModule("vfio_pci");
        for (PciAddress fn : List.of(NVIDIA, NVIDIA_AUDIO)) {
            k.setDriverOverride(fn, "vfio-pci");
            k.unbind(fn, driver(k, fn));
            k.driversProbe(fn);
        }
        GpuManager m = open(k, "");
        assertEquals("", m.gpu(NVIDIA).orElseThrow().holder());
        int writes = k.writeCount();
        assertEquals("win11", m.claim("01:00.0", "win11").holder());
        assertEquals(writes, k.writeCount());
    }

    @Test
    void badArgumentsGetTypedErrorsAndChangeNothing() {
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
    void emptyDeviceIsAmbiguousWithTwoClaimableGpusAndMissingWithNone() {
        assertEquals(ErrorKind.AMBIGUOUS, kindOf(() -> open(Hosts.parse(Hosts.TWO_DISCRETE), "").claim("", "vm")));
        close();
        opened.clear();
        assertEquals(ErrorKind.NO_SUCH_DEVICE, kindOf(() -> open(Hosts.builtIn("shared-group"), "").claim("", "vm")));
    }

    @Test
    void refusalsSetLastErrorAndSignalTransitionFailed() {
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
    void singleGpuStopsTheDisplayManagerAndStartsItAfterRelease() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        GpuManager m = open(k, "allow_boot_display = yes\nstop_display_manager = when-holding");
        assertTrue(m.gpu(NVIDIA).orElseThrow().claimable(), m.gpu(NVIDIA).orElseThrow().blockers().toString());
        m.claim("", "win11");
        assertFalse(k.unitActive("sddm.service"));
        assertEquals("vfio-pci", driver(k, NVIDIA));
        m.release("", "win11");
        assertTrue(k.unitActive("sddm.service"));
        assertEquals("nvidia", driver(k, NVIDIA));
        assertFalse(k.pidsOf("sddm.service").isEmpty());
    }

    @Test
    void singleGpuUnbindsTheConsoleAndTheEfiFramebufferAndReleaseBindsThemAgainAfterARestart() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        String config = "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes";
        GpuManager m = open(k, config);
        m.claim("", "win11");
        assertEquals(List.of(), k.framebufferConsoles());
        assertEquals(List.of(), k.firmwareFramebuffers());
        assertEquals("vfio-pci", driver(k, NVIDIA));
        List<String> ops = k.writeLog().stream().map(w -> w.op() + " " + w.target()).toList();
        assertEquals(List.of("STOP_UNIT sddm.service", "STOP_UNIT session-2.scope", "UNBIND_CONSOLE vtcon1",
                "UNBIND_FRAMEBUFFER efi-framebuffer.0", "LOAD_MODULE vfio_pci"), ops.subList(0, 5));
        String file = Files.readString(state.resolve("claims/pci_0000_01_00_0.claim"));
        assertTrue(file.contains("\nunbound_consoles=vtcon1\n"), file);
        assertTrue(file.contains("\nunbound_framebuffers=efi-framebuffer.0:efi-framebuffer\n"), file);

        m.close();
        opened.clear();
        GpuManager restarted = open(k, config);
        assertEquals("win11", restarted.gpu(NVIDIA).orElseThrow().holder());
        int before = k.writeCount();
        restarted.release("", "win11");
        assertEquals(List.of("vtcon1"), k.framebufferConsoles());
        assertEquals(List.of(new org.gpupass.host.Framebuffer("efi-framebuffer.0", "efi-framebuffer")),
                k.firmwareFramebuffers());
        assertEquals("nvidia", driver(k, NVIDIA));
        assertTrue(k.unitActive("sddm.service"));
        List<String> release = k.writeLog().subList(before, k.writeCount()).stream()
                .map(w -> w.op() + " " + w.target() + " " + w.outcome()).toList();
        assertEquals(List.of("BIND_FRAMEBUFFER efi-framebuffer.0 ok", "BIND_CONSOLE vtcon1 ok",
                "START_UNIT sddm.service ok"), release.subList(release.size() - 3, release.size()));
        assertEquals("", restarted.gpu(NVIDIA).orElseThrow().lastError());
    }

    @Test
    void aConsoleThatWillNotBindAgainIsAWarningNotAFailedRelease() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        GpuManager m = open(k, "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes");
        m.claim("", "win11");
        k.failOn(SimulatedKernel.Op.BIND_CONSOLE, "vtcon1", Errno.EBUSY);
        GpuStatus released = m.release("", "win11");
        assertEquals(GpuState.HOST, released.state());
        assertTrue(released.lastError().contains("bind console vtcon1 failed"), released.lastError());
        assertEquals(List.of(), k.framebufferConsoles());
        assertEquals(1, k.firmwareFramebuffers().size(), "the framebuffer before it was bound");
        assertTrue(k.unitActive("sddm.service"), "and the display manager after it started");
    }

    @Test
    void withoutTheKeyTheConsolesAreLeftAlone() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        GpuManager m = open(k, "allow_boot_display = yes\nstop_display_manager = when-holding");
        m.claim("", "win11");
        assertEquals(List.of("vtcon1"), k.framebufferConsoles());
        assertEquals(1, k.firmwareFramebuffers().size());
        assertFalse(Files.readString(state.resolve("claims/pci_0000_01_00_0.claim")).contains("=vtcon1"));
    }

    @Test
    void hostModulesAreUnloadedOnClaimAndLoadedOnRelease() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "unload_host_modules = yes");
        m.claim("", "win11");
        for (String module : List.of("nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm")) {
            assertFalse(k.modules().containsKey(module), module);
        }
        m.release("", "win11");
        for (String module : List.of("nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm")) {
            assertTrue(k.modules().containsKey(module), module);
        }
        assertEquals("nvidia", driver(k, NVIDIA));
    }

    @Test
    void domainClaimsFollowTheXml() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        assertEquals(List.of(), m.claimDomain("nogpu", domain("<hostdev mode='subsystem' type='pci' managed='no'>"
                + "<source><address domain='0x0000' bus='0x00' slot='0x17' function='0x0'/></source></hostdev>")));
        int writes = k.writeCount();
        GpuPassException managed = assertThrows(GpuPassException.class, () -> m.claimDomain("win11",
                domain(hostdev("yes", 1))));
        assertEquals(ErrorKind.MANAGED_HOSTDEV, managed.kind());
        assertEquals(writes, k.writeCount());
        List<GpuStatus> claimed = m.claimDomain("win11", domain(hostdev("no", 0) + hostdev("no", 1)));
        assertEquals(List.of(NVIDIA), claimed.stream().map(GpuStatus::address).toList());
        assertEquals("win11", m.gpu(NVIDIA).orElseThrow().holder());
        assertEquals(List.of(), m.releaseDomain("other"));
        assertEquals(List.of(NVIDIA), m.releaseDomain("win11").stream().map(GpuStatus::address).toList());
        assertEquals(GpuState.HOST, m.gpu(NVIDIA).orElseThrow().state());
    }

    @Test
    void aFunctionThatWillNotBindAgainIsRemovedAndRescanned() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        m.claim("01:00.0", "win11");
        k.wedge(NVIDIA_AUDIO);
        GpuStatus released = m.release("01:00.0", "win11");
        assertEquals(GpuState.HOST, released.state());
        assertEquals("snd_hda_intel", driver(k, NVIDIA_AUDIO));
        List<String> ops = k.writeLog().stream().map(w -> w.op() + " " + w.target() + " " + w.outcome()).toList();
        assertTrue(ops.contains("BIND 0000:01:00.1 ENODEV"), ops.toString());
        assertTrue(ops.contains("REMOVE 0000:01:00.1 ok"), ops.toString());
        assertTrue(ops.contains("RESCAN  ok"), ops.toString());
    }

    @Test
    void nvidiaPersistencedIsStoppedForTheClaimAndStartedAfterTheRelease() throws Exception {
        SimulatedKernel k = Hosts.parse(Hosts.TWO_DISCRETE + "unit nvidia-persistenced.service active\n"
                + "process nvidia-persistenced uid=0 unit=nvidia-persistenced.service opens=0000:01:00.0\n");
        GpuManager m = open(k, "");
        assertTrue(m.gpu(NVIDIA).orElseThrow().claimable(), m.gpu(NVIDIA).orElseThrow().blockers().toString());
        m.claim("01:00.0", "win11");
        assertFalse(k.unitActive("nvidia-persistenced.service"));
        m.release("01:00.0", "win11");
        assertTrue(k.unitActive("nvidia-persistenced.service"));
        assertEquals("nvidia", driver(k, NVIDIA));
    }

    @Test
    void aClaimedGpuReboundOutsideTheDaemonIsNoLongerClaimed() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        m.claim("01:00.0", "win11");
        for (PciAddress fn : List.of(NVIDIA, NVIDIA_AUDIO)) {
            k.setDriverOverride(fn, "");
            k.unbind(fn, "vfio-pci");
            k.driversProbe(fn);
        }
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
        org.gpupass.host.Host slow = (org.gpupass.host.Host) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.gpupass.host.Host.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(k, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("pciDevices") && Thread.currentThread().getName().equals("slow-refresh")
                            && readStarted.getCount() == 1) {
                        readStarted.countDown();
                        transitionDone.await();
                    }
                    return result;
                });
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

    static String hostdev(String managed, int function) {
        return "<hostdev mode='subsystem' type='pci' managed='" + managed + "'><source><address domain='0x0000' "
                + "bus='0x01' slot='0x00' function='0x" + function + "'/></source></hostdev>";
    }

    static String domain(String devices) {
        return "<domain type='kvm'><name>vm</name><devices>" + devices + "</devices></domain>";
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
