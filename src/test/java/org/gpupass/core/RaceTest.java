package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.host.sim.WriteRecord;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Many threads claiming and releasing at random: transitions never interleave, the end state is consistent. */
class RaceTest {
    @TempDir
    Path state;

    @RepeatedTest(3)
    @Timeout(60)
    void randomClaimsAndReleasesNeverInterleave() throws Exception {
        SimulatedKernel kernel = Hosts.parse(Hosts.TWO_DISCRETE);
        GpuManager m = Hosts.manager(kernel, state, Hosts.config("lock_timeout = 30s"));
        List<PciAddress> gpus = List.of(NVIDIA, SECOND);
        List<String> holders = List.of("win11", "linux", "cad");
        Map<ErrorKind, Integer> refusals = new ConcurrentHashMap<>();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random random = new Random(t * 7919L);
            results.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 25; i++) {
                    String gpu = gpus.get(random.nextInt(gpus.size())).toString();
                    String holder = holders.get(random.nextInt(holders.size()));
                    try {
                        if (random.nextBoolean()) {
                            GpuStatus s = m.claim(gpu, holder);
                            assertEquals(holder, s.holder());
                        } else {
                            m.release(gpu, random.nextInt(4) == 0 ? "" : holder);
                        }
                    } catch (GpuPassException e) {
                        refusals.merge(e.kind(), 1, Integer::sum);
                        assertTrue(Set.of(ErrorKind.ALREADY_CLAIMED, ErrorKind.NOT_HOLDER).contains(e.kind()),
                                e.toString());
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : results) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertNoInterleaving(kernel.writeLog());
        for (PciAddress gpu : gpus) {
            GpuStatus s = m.gpu(gpu).orElseThrow();
            boolean onVfio = kernel.pci().devices().stream().filter(d -> s.functions().contains(d.address()))
                    .allMatch(d -> d.driver().equals("vfio-pci"));
            assertEquals(s.state() == GpuState.VFIO, onVfio, gpu + " model vs sysfs");
            assertEquals(s.state() == GpuState.VFIO, !s.holder().isEmpty(), gpu + " holder vs state");
            assertTrue(s.state() == GpuState.VFIO || s.state() == GpuState.HOST, s.toString());
            ClaimRecord stored = new StateStore(state).loadClaims().get(gpu);
            if (s.holder().isEmpty()) {
                assertNull(stored);
            } else {
                assertEquals(s.holder(), stored.holder());
            }
            m.release(gpu.toString(), "");
            assertEquals(GpuState.HOST, m.gpu(gpu).orElseThrow().state());
        }
        assertEquals("", m.transition());
        assertFalse(refusals.isEmpty(), "the race should have produced some refusals");
        m.close();
    }

    /** Writes are tagged with their transition (thread name); once a tag ends it never comes back. */
    static void assertNoInterleaving(List<WriteRecord> log) {
        Set<String> finished = new HashSet<>();
        String current = null;
        for (WriteRecord w : log) {
            if (!w.thread().equals(current)) {
                assertFalse(finished.contains(w.thread()), "interleaved transitions at " + w);
                if (current != null) {
                    finished.add(current);
                }
                current = w.thread();
            }
            assertTrue(w.thread().startsWith("gpupassd-tx-"), w.toString());
        }
        assertTrue(finished.size() > 10, "expected many transitions, saw " + finished.size());
    }
}
