package org.gpupass.host.sim;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;

/**
 * The simulated kernel's one monitor, and every mutating call's way through it: the write log,
 * injected faults and hangs, and writes that block until what they wait for happens.
 *
 * <p>A hanging write waits on the monitor, so it holds nothing while it hangs; reads and other
 * writes go on. It ends when released (EIO, nothing changed), when injected hangs are let through,
 * when what it waits for happens (nvidia's unbind once the nodes are closed), or when its thread is
 * interrupted ({@link InterruptedIOException}, interrupt flag kept). Every change notifies the monitor.
 */
final class SimWrites {

    /** One write's effect: does it and returns null, throws, or changes nothing and returns what blocks it. */
    @FunctionalInterface
    interface Effect {
        BooleanSupplier apply() throws KernelWriteException;
    }

    private enum HangEnd { PENDING, RELEASE, COMPLETE }

    private static final class Hang {
        HangEnd end = HangEnd.PENDING;
        final boolean injected;

        Hang(boolean injected) {
            this.injected = injected;
        }
    }

    /** The monitor every part of the simulated kernel synchronizes on. */
    final Object lock = new Object();
    private final Faults faults = new Faults();
    private final List<WriteRecord> log = new ArrayList<>();
    private final List<Hang> hangs = new ArrayList<>();
    /** Called under the lock after every write that went through, before the monitor is notified. */
    private final Runnable afterWrite;

    SimWrites(Runnable afterWrite) {
        this.afterWrite = afterWrite;
    }

    /** Performs one logged mutating call: the fault asked for, or the effect (waiting while it is blocked). */
    void write(SimulatedKernel.Op op, String target, String value, String path, Effect effect) throws IOException {
        synchronized (lock) {
            long seq = log.size() + 1;
            String thread = Thread.currentThread().getName();
            int index = log.size();
            log.add(new WriteRecord(seq, thread, op, target, value, "running"));
            Faults.Fault fault = faults.take(op, target, seq);
            Hang hang = null;
            String outcome = "ok";
            try {
                if (fault != null && !fault.hangs()) {
                    throw new KernelWriteException(path, fault.errno(), "injected fault");
                }
                BooleanSupplier blocked = fault != null ? () -> true : effect.apply();
                while (blocked != null) {
                    if (hang == null) {
                        hang = new Hang(fault != null);
                        hangs.add(hang);
                        log.set(index, new WriteRecord(seq, thread, op, target, value, "hung"));
                        lock.notifyAll();
                    }
                    while (hang.end == HangEnd.PENDING && blocked.getAsBoolean()) {
                        lock.wait();
                    }
                    if (hang.end == HangEnd.RELEASE) {
                        throw new KernelWriteException(path, Errno.EIO, "hung write released");
                    }
                    hang.end = HangEnd.PENDING;
                    blocked = effect.apply();
                }
                afterWrite.run();
            } catch (KernelWriteException e) {
                outcome = e.errno().name();
                throw e;
            } catch (RuntimeException e) {
                outcome = "error " + e;
                throw e;
            } catch (InterruptedException e) {
                outcome = "interrupted";
                Thread.currentThread().interrupt();
                InterruptedIOException thrown = new InterruptedIOException(path + ": interrupted while hung");
                thrown.initCause(e);
                throw thrown;
            } finally {
                if (hang != null) {
                    hangs.remove(hang);
                    outcome = "hung then " + outcome;
                }
                log.set(index, new WriteRecord(seq, thread, op, target, value, outcome));
                lock.notifyAll();
            }
        }
    }

    /** Waits on the monitor (every change notifies it) until {@code done} holds; whether it does at return. */
    boolean await(BooleanSupplier done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    // ---- faults, hangs and the log, for tests (callers hold the lock or take it here)

    void failOn(SimulatedKernel.Op op, String target, Errno errno) {
        synchronized (lock) {
            faults.addRule(op, target, errno);
        }
    }

    /** The n-th mutating call from now (1 = the next one) fails with {@code errno}, or hangs for null. */
    void faultWrite(int n, Errno errno) {
        if (n < 1) {
            throw new IllegalArgumentException("n is 1-based");
        }
        synchronized (lock) {
            faults.addForCall(log.size() + n, errno);
        }
    }

    void clearFaults() {
        synchronized (lock) {
            faults.clear();
        }
    }

    /** Every call hanging now returns EIO, having changed nothing. */
    void releaseHangs() {
        synchronized (lock) {
            hangs.forEach(h -> h.end = HangEnd.RELEASE);
            lock.notifyAll();
        }
    }

    /** Every injected hang now goes through and does its write (which may then block on its own). */
    void completeHangs() {
        synchronized (lock) {
            for (Hang h : hangs) {
                if (h.injected) {
                    h.end = HangEnd.COMPLETE;
                }
            }
            lock.notifyAll();
        }
    }

    int hungCount() {
        synchronized (lock) {
            return hangs.size();
        }
    }

    List<WriteRecord> log() {
        synchronized (lock) {
            return List.copyOf(log);
        }
    }

    int count() {
        synchronized (lock) {
            return log.size();
        }
    }
}
