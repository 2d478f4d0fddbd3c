package org.gpupass.host.sim;

import static org.gpupass.host.sim.SimAsserts.AUDIO;
import static org.gpupass.host.sim.SimAsserts.GPU;
import static org.gpupass.host.sim.SimAsserts.SATA;
import static org.gpupass.host.sim.SimAsserts.dev;
import static org.gpupass.host.sim.SimAsserts.driver;
import static org.gpupass.host.sim.SimAsserts.dualGpu;
import static org.gpupass.host.sim.SimAsserts.errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.sim.SimulatedKernel.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** failOn, hangOn, failWrite, hangWrite, releaseHangs and the write log. */
@Timeout(10)
class FaultInjectionTest {

    /** Runs a write on a thread of its own, with that name. */
    private static CompletableFuture<Void> onThread(String name, ThrowingRunnable write) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                write.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return done;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void failOnOneTargetFailsOnlyThatTargetAndChangesNothing() throws Exception {
        SimulatedKernel k = dualGpu();
        k.failOn(Op.UNBIND, "0000:01:00.1", Errno.EBUSY);
        assertEquals(Errno.EBUSY, errno(() -> k.pci().unbind(AUDIO, "snd_hda_intel")));
        assertEquals("snd_hda_intel", driver(k, AUDIO));
        assertEquals(Errno.EBUSY, errno(() -> k.pci().unbind(AUDIO, "snd_hda_intel")), "a rule stays");
        k.pci().unbind(GPU, "nvidia");
        k.clearFaults();
        k.pci().unbind(AUDIO, "snd_hda_intel");
        assertEquals(List.of("EBUSY", "EBUSY", "ok", "ok"), k.writeLog().stream().map(WriteRecord::outcome).toList());
    }

    @Test
    void failOnModuleUnitAndWildcardTargets() throws Exception {
        SimulatedKernel k = dualGpu();
        k.failOn(Op.LOAD_MODULE, "vfio_pci", Errno.ENOMEM);
        k.failOn(Op.STOP_UNIT, "sddm.service", Errno.ETIMEDOUT);
        k.failOn(Op.SET_OVERRIDE, "*", Errno.EACCES);
        k.failOn(Op.RESCAN, "*", Errno.EIO);
        assertEquals(Errno.ENOMEM, errno(() -> k.modules().load("vfio_pci")));
        assertEquals(Errno.ETIMEDOUT, errno(() -> k.units().stop("sddm.service")));
        assertEquals(Errno.EACCES, errno(() -> k.pci().setDriverOverride(SATA, "vfio-pci")));
        assertEquals(Errno.EIO, errno(k.pci()::rescan));
        assertTrue(k.units().isActive("sddm.service"));
        assertEquals("", dev(k, SATA).driverOverride());
        assertEquals(false, k.modules().loaded().containsKey("vfio"));
    }

    @Test
    void failWriteCountsMutatingCallsFromNow() throws Exception {
        SimulatedKernel k = dualGpu();
        k.pci().setDriverOverride(GPU, "vfio-pci");
        k.failWrite(2, Errno.EIO);
        k.pci().devices();
        k.pci().unbind(GPU, "nvidia");
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> k.pci().driversProbe(GPU));
        assertEquals(Errno.EIO, e.errno());
        assertEquals("/sys/bus/pci/drivers_probe", e.path());
        k.pci().driversProbe(GPU);
        assertEquals(List.of("ok", "ok", "EIO", "ok"), k.writeLog().stream().map(WriteRecord::outcome).toList());
        assertEquals(4, k.writeCount());
    }

    @Test
    void hungWriteBlocksNeitherReadsNorOtherWritesAndReleaseFailsItWithEio() throws Exception {
        SimulatedKernel k = dualGpu();
        k.hangOn(Op.UNBIND, "0000:01:00.0");
        CompletableFuture<Void> hung = onThread("claimer", () -> k.pci().unbind(GPU, "nvidia"));
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        CompletableFuture<Void> other = onThread("other", () -> {
            k.pci().devices();
            k.modules().loaded();
            k.pci().unbind(AUDIO, "snd_hda_intel");
        });
        other.get(5, TimeUnit.SECONDS);
        assertEquals("", driver(k, AUDIO));
        assertEquals("nvidia", driver(k, GPU));
        k.releaseHangs();
        ExecutionException e = assertThrows(ExecutionException.class, () -> hung.get(5, TimeUnit.SECONDS));
        assertEquals(Errno.EIO, assertInstanceOf(KernelWriteException.class, e.getCause()).errno());
        assertEquals("nvidia", driver(k, GPU), "a released hang changed nothing");
        assertEquals(List.of("#1 [claimer] UNBIND 0000:01:00.0 nvidia -> hung then EIO",
                        "#2 [other] UNBIND 0000:01:00.1 snd_hda_intel -> ok"),
                k.writeLog().stream().map(WriteRecord::toString).toList());
    }

    @Test
    void hangWriteThenCompleteHangsDoesTheWrite() throws Exception {
        SimulatedKernel k = dualGpu();
        k.hangWrite(1);
        CompletableFuture<Void> hung = onThread("t", () -> k.pci().unbind(AUDIO, "snd_hda_intel"));
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        assertEquals("hung", k.writeLog().get(0).outcome());
        k.pci().unbind(GPU, "nvidia");
        k.completeHangs();
        hung.get(5, TimeUnit.SECONDS);
        assertEquals("", driver(k, AUDIO));
        assertEquals(List.of("hung then ok", "ok"), k.writeLog().stream().map(WriteRecord::outcome).toList());
        assertEquals(0, k.hungCount());
    }

    @Test
    void interruptingAHungWriteThrowsInterruptedIoAndKeepsTheFlag() throws Exception {
        SimulatedKernel k = dualGpu();
        k.hangOn(Op.REMOVE, "*");
        AtomicBoolean flagKept = new AtomicBoolean();
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                k.pci().remove(SATA);
                thrown.complete(null);
            } catch (Exception e) {
                flagKept.set(Thread.currentThread().isInterrupted());
                thrown.complete(e);
            }
        }, "remover");
        t.start();
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        t.interrupt();
        assertInstanceOf(InterruptedIOException.class, thrown.get(5, TimeUnit.SECONDS));
        assertTrue(flagKept.get());
        assertEquals("ahci", driver(k, SATA));
        assertEquals("hung then interrupted", k.writeLog().get(0).outcome());
    }

    @Test
    void writeLogRecordsEveryMutatingCallWithThreadOpTargetAndValue() throws Exception {
        SimulatedKernel k = dualGpu();
        Thread.currentThread().setName("main-test");
        k.pci().setDriverOverride(GPU, "vfio-pci");
        k.modules().load("vfio_pci");
        errno(() -> k.pci().bind(GPU, "vfio-pci"));
        k.units().stop("sddm.service");
        k.pci().rescan();
        List<WriteRecord> log = k.writeLog();
        assertEquals(List.of(
                new WriteRecord(1, "main-test", Op.SET_OVERRIDE, "0000:01:00.0", "vfio-pci", "ok"),
                new WriteRecord(2, "main-test", Op.LOAD_MODULE, "vfio_pci", "", "ok"),
                new WriteRecord(3, "main-test", Op.BIND, "0000:01:00.0", "vfio-pci", "ENODEV"),
                new WriteRecord(4, "main-test", Op.STOP_UNIT, "sddm.service", "", "ok"),
                new WriteRecord(5, "main-test", Op.RESCAN, "", "", "ok")), log);
    }
}
