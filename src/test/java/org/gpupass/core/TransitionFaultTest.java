package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.gpupass.config.Config;
import org.gpupass.host.Errno;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.host.sim.WriteRecord;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.plan.Plan;
import org.gpupass.plan.Planner;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every step k of Claim and Release, on hosts and configs that exercise every kind of step:
 * fail it, hang it, or kill the process after it, and check what is left.
 */
class TransitionFaultTest {
    @TempDir
    Path tmp;

    /** (name, host, config) that together produce every step kind. */
    static List<String[]> setups() {
        return List.of(
                new String[] {"dual-gpu", "dual-gpu", ""},
                new String[] {"dual-gpu unload", "dual-gpu", "unload_host_modules = yes"},
                new String[] {"single-gpu dm", "single-gpu",
                        "allow_boot_display = yes\nstop_display_manager = when-holding\nunload_host_modules = yes"},
                new String[] {"single-gpu consoles", "single-gpu",
                        "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes"});
    }

    private static SimulatedKernel kernel(String host) {
        return Hosts.builtIn(host);
    }

    /** The writes a clean claim (and then release) performs on this setup. */
    private static List<WriteRecord> cleanWrites(String[] setup, boolean release, Path dir) throws Exception {
        SimulatedKernel k = kernel(setup[1]);
        GpuManager m = Hosts.manager(k, dir, Hosts.config(setup[2]));
        try {
            m.claim("01:00.0", "win11");
            int before = k.writeCount();
            if (release) {
                m.release("01:00.0", "win11");
            }
            List<WriteRecord> log = k.writeLog();
            return release ? log.subList(before, log.size()) : log;
        } finally {
            m.close();
        }
    }

    static Stream<Arguments> everyWrite() throws Exception {
        List<Arguments> cases = new ArrayList<>();
        Path dir = Files.createTempDirectory("gpupass-count");
        int n = 0;
        for (String[] setup : setups()) {
            for (boolean release : new boolean[] {false, true}) {
                List<WriteRecord> writes = cleanWrites(setup, release, dir.resolve("s" + n++));
                for (int k = 1; k <= writes.size(); k++) {
                    cases.add(Arguments.of(setup[0] + (release ? " release" : " claim") + " write " + k
                            + " (" + writes.get(k - 1).op() + " " + writes.get(k - 1).target() + ")",
                            setup, release, k, writes.get(k - 1).op()));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyWrite")
    void failingWriteKRollsBack(String name, String[] setup, boolean release, int k, SimulatedKernel.Op op)
            throws Exception {
        SimulatedKernel kernel = kernel(setup[1]);
        GpuManager m = Hosts.manager(kernel, tmp, Hosts.config(setup[2]));
        try {
            if (release) {
                m.claim("01:00.0", "win11");
            }
            Snapshot before = Snapshot.of(kernel);
            kernel.failWrite(k, Errno.EIO);
            if (op == SimulatedKernel.Op.START_UNIT || op == SimulatedKernel.Op.BIND_CONSOLE
                    || op == SimulatedKernel.Op.BIND_FRAMEBUFFER) {
                // Starting a unit or binding a console again never fails a transition: it is reported in LastError.
                GpuStatus done = release ? m.release("01:00.0", "win11") : m.claim("01:00.0", "win11");
                assertEquals(release ? GpuState.HOST : GpuState.VFIO, done.state());
                assertTrue(done.lastError().contains("failed"), done.lastError());
                return;
            }
            GpuPassException e = assertThrows(GpuPassException.class,
                    () -> { if (release) m.release("01:00.0", "win11"); else m.claim("01:00.0", "win11"); });
            assertEquals(ErrorKind.TRANSITION_FAILED, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("EIO"), e.getMessage());
            assertTrue(e.getMessage().contains("rolled back"), e.getMessage());
            assertEquals(before, Snapshot.of(kernel), "sysfs, modules and units are back where they started");
            GpuStatus gpu = m.gpu(NVIDIA).orElseThrow();
            assertEquals(release ? GpuState.VFIO : GpuState.HOST, gpu.state());
            assertEquals(release ? "win11" : "", gpu.holder());
            assertEquals(e.getMessage(), gpu.lastError());
            assertEquals(release, Files.exists(tmp.resolve("claims/pci_0000_01_00_0.claim")));
            assertFalse(Files.exists(tmp.resolve("intent")));
            // And the GPU still works afterwards.
            GpuStatus retried = release ? m.release("01:00.0", "win11") : m.claim("01:00.0", "win11");
            assertEquals(release ? GpuState.HOST : GpuState.VFIO, retried.state());
            assertEquals("", retried.lastError());
        } finally {
            m.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyWrite")
    void hangingWriteKFencesTheGpuAndNothingElse(String name, String[] setup, boolean release, int k,
                                                 SimulatedKernel.Op op) throws Exception {
        SimulatedKernel kernel = kernel(setup[1]);
        GpuManager m = Hosts.manager(kernel, tmp, Hosts.config(setup[2] + "\nwrite_timeout = 300ms"));
        try {
            if (release) {
                m.claim("01:00.0", "win11");
            }
            kernel.hangWrite(k);
            GpuPassException e = assertThrows(GpuPassException.class,
                    () -> { if (release) m.release("01:00.0", "win11"); else m.claim("01:00.0", "win11"); });
            assertEquals(ErrorKind.STUCK, e.kind(), e.getMessage());
            assertEquals(GpuState.STUCK, m.gpu(NVIDIA).orElseThrow().state());
            assertFalse(m.gpu(NVIDIA).orElseThrow().claimable());
            assertEquals(ErrorKind.STUCK, GpuManagerTest.kindOf(() -> m.claim("01:00.0", "win11")));
            assertEquals("", m.transition());
            assertTrue(Files.exists(tmp.resolve("stuck/pci_0000_01_00_0")));
            assertTrue(m.healthy());
        } finally {
            kernel.releaseHangs();
            m.close();
        }
    }

    static Stream<Arguments> everyStep() throws Exception {
        List<Arguments> cases = new ArrayList<>();
        for (String[] setup : setups()) {
            Config config = Hosts.config(setup[2]);
            SimulatedKernel k = kernel(setup[1]);
            HostSnapshot snap = Hosts.snapshot(k, config);
            Plan claim = Planner.claim(snap, snap.device(NVIDIA).orElseThrow(), config);
            IntStream.rangeClosed(1, claim.steps().size()).forEach(i -> cases.add(Arguments.of(
                    setup[0] + " claim step " + i + " (" + claim.steps().get(i - 1).describe() + ")", setup, false, i)));
            Path dir = Files.createTempDirectory("gpupass-steps");
            GpuManager m = Hosts.manager(k, dir, config);
            m.claim("01:00.0", "win11");
            HostSnapshot claimed = Hosts.snapshot(k, config);
            ClaimRecord record = new StateStore(dir).loadClaims().get(NVIDIA);
            Plan release = Planner.release(claimed, claimed.device(NVIDIA).orElseThrow(), record);
            m.close();
            IntStream.rangeClosed(1, release.steps().size()).forEach(i -> cases.add(Arguments.of(
                    setup[0] + " release step " + i + " (" + release.steps().get(i - 1).describe() + ")", setup, true, i)));
        }
        return cases.stream();
    }

    /** Thrown by the step observer: the process dies here, nothing in memory survives. */
    static final class SimulatedCrash extends Error {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyStep")
    void crashAfterStepKIsReconciledAtTheNextStart(String name, String[] setup, boolean release, int k)
            throws Exception {
        SimulatedKernel kernel = kernel(setup[1]);
        Config config = Hosts.config(setup[2]);
        Snapshot hostState = Snapshot.of(kernel);
        if (release) {
            GpuManager first = Hosts.manager(kernel, tmp, config);
            first.claim("01:00.0", "win11");
            first.close();
        }
        Snapshot vfioState = release ? Snapshot.of(kernel) : null;
        boolean[] armed = {true};
        GpuManager dying = Hosts.manager(kernel, tmp, config, (index, step) -> {
            if (armed[0] && index == k) {
                armed[0] = false;
                throw new SimulatedCrash();
            }
        });
        assertThrows(SimulatedCrash.class,
                () -> { if (release) dying.release("01:00.0", "win11"); else dying.claim("01:00.0", "win11"); });
        dying.close();
        assertTrue(Files.exists(tmp.resolve("intent")), "the intent survives the crash");

        GpuManager restarted = Hosts.manager(kernel, tmp, config);
        try {
            GpuStatus gpu = restarted.gpu(NVIDIA).orElseThrow();
            assertFalse(Files.exists(tmp.resolve("intent")), "reconciled");
            if (gpu.state() == GpuState.VFIO) {
                assertFalse(release, "an interrupted release is always finished");
                assertEquals("win11", gpu.holder(), "a claim that had finished in sysfs is kept");
                assertTrue(Files.exists(tmp.resolve("claims/pci_0000_01_00_0.claim")));
                assertEquals("vfio-pci", Hosts.device(kernel, NVIDIA_AUDIO).driver());
            } else {
                assertEquals(GpuState.HOST, gpu.state(), name);
                assertEquals("", gpu.holder());
                assertFalse(Files.exists(tmp.resolve("claims/pci_0000_01_00_0.claim")));
                assertEquals(hostState.devices(), Snapshot.of(kernel).devices(), "back on the host drivers");
                assertEquals(hostState.modules(), Snapshot.of(kernel).modules());
                assertEquals(hostState.consoles(), Snapshot.of(kernel).consoles(), "consoles bound again");
                assertEquals(hostState.framebuffers(), Snapshot.of(kernel).framebuffers());
                if (!setup[0].equals("single-gpu dm") || !release) {
                    assertEquals(hostState.units(), Snapshot.of(kernel).units());
                }
            }
            assertTrue(vfioState == null || gpu.state() == GpuState.HOST);
        } finally {
            restarted.close();
        }
    }

    /**
     * What must come back after a rollback: devices (driver, override), loaded modules, active units,
     * bound framebuffer consoles and firmware framebuffers.
     */
    record Snapshot(List<String> devices, List<String> modules, List<String> units, List<String> consoles,
                    List<String> framebuffers) {
        static Snapshot of(SimulatedKernel k) throws Exception {
            List<String> devices = k.pci().devices().stream()
                    .map(d -> d.address() + "=" + d.driver() + "/" + d.driverOverride()).toList();
            List<String> modules = k.modules().loaded().keySet().stream().filter(m -> !m.startsWith("vfio")).sorted().toList();
            List<String> units = Stream.of("sddm.service").filter(u -> {
                try {
                    return k.units().isActive(u);
                } catch (Exception e) {
                    return false;
                }
            }).toList();
            List<String> framebuffers = k.consoles().firmwareFramebuffers().stream().map(f -> f.device() + "=" + f.driver()).toList();
            return new Snapshot(devices, modules, units, k.consoles().framebufferConsoles(), framebuffers);
        }
    }
}
