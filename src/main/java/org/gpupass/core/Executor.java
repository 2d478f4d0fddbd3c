package org.gpupass.core;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.gpupass.config.Config;
import org.gpupass.host.Errno;
import org.gpupass.host.Host;
import org.gpupass.host.KernelWriteException;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.PciAddress;
import org.gpupass.model.Threads;
import org.gpupass.plan.Step.AwaitDriver;
import org.gpupass.plan.Step.AwaitNoHolders;
import org.gpupass.plan.Step.AwaitNode;
import org.gpupass.plan.Step.BindConsole;
import org.gpupass.plan.Step.BindFramebuffer;
import org.gpupass.plan.Step.EnsureDriver;
import org.gpupass.plan.Step.LoadModule;
import org.gpupass.plan.Step.Probe;
import org.gpupass.plan.Step.SetOverride;
import org.gpupass.plan.Step.StartUnit;
import org.gpupass.plan.Step.StopUnit;
import org.gpupass.plan.Step.Unbind;
import org.gpupass.plan.Step.UnbindConsole;
import org.gpupass.plan.Step.UnbindFramebuffer;
import org.gpupass.plan.Step.UnloadModule;
import org.gpupass.plan.Step;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Performs a plan's steps one at a time. Every host call that can block in the kernel runs on a
 * writer thread under the write deadline: if it does not return, the step is reported hung and
 * the thread is left behind (a write stuck in the kernel cannot be cancelled), so the rest of the
 * daemon keeps working.
 */
final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);
    private static final int UNLOAD_TRIES = 5;
    private static final long UNLOAD_RETRY_MS = 200;

    /** Called after each completed step; tests use it to stop a transition at a chosen point. */
    interface StepObserver {
        void afterStep(int index, Step step);
    }

    private final Host host;
    private final Duration writeTimeout;
    private final Duration settleTimeout;
    private final StepObserver observer;
    private final ExecutorService writers = Executors.newCachedThreadPool(Threads.daemon("gpupassd-write"));

    Executor(Host host, Config config, StepObserver observer) {
        this.host = host;
        this.writeTimeout = config.writeTimeout();
        this.settleTimeout = config.settleTimeout();
        this.observer = observer;
    }

    /**
     * Runs the steps in order, appending each completed one to {@code done}. Failures to start a
     * unit again, or to bind a console or framebuffer again, are not fatal: they are added to
     * {@code warnings}. A hung write always is.
     *
     * @param tag names the writer thread for each write, e.g. {@code tx-7}, so logs show transitions
     */
    void run(List<Step> steps, String tag, List<Step> done, List<String> warnings) throws StepException {
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            try {
                perform(step, tag);
            } catch (StepFailure f) {
                if (restoring(step) && !f.hung) {
                    warnings.add(step.describe() + " failed: " + f.getMessage());
                    LOG.warn("{}: {} failed: {}", tag, step.describe(), f.getMessage());
                } else {
                    throw new StepException(step, i + 1, steps.size(), f.hung, f.kind, f.getMessage());
                }
            }
            done.add(step);
            observer.afterStep(i + 1, step);
        }
    }

    /** Steps that give the host back something at the end of a transition: their failure is only a warning. */
    private static boolean restoring(Step step) {
        return step instanceof StartUnit || step instanceof BindConsole || step instanceof BindFramebuffer;
    }

    private void perform(Step step, String tag) throws StepFailure {
        if (step instanceof StopUnit s) {
            write(tag, () -> host.units().stop(s.unit()));
        } else if (step instanceof StartUnit s) {
            write(tag, () -> host.units().start(s.unit()));
        } else if (step instanceof LoadModule m) {
            write(tag, () -> host.modules().load(m.module()));
        } else if (step instanceof UnloadModule m) {
            unload(tag, m.module());
        } else if (step instanceof SetOverride o) {
            write(tag, () -> host.pci().setDriverOverride(o.function(), o.driver()));
        } else if (step instanceof Unbind u) {
            write(tag, () -> host.pci().unbind(u.function(), u.driver()));
        } else if (step instanceof Probe p) {
            write(tag, () -> host.pci().driversProbe(p.function()));
        } else if (step instanceof AwaitDriver a) {
            awaitDriver(a.function(), a.driver());
        } else if (step instanceof AwaitNode n) {
            awaitNode(n.path());
        } else if (step instanceof AwaitNoHolders h) {
            awaitNoHolders(h.nodes());
        } else if (step instanceof EnsureDriver e) {
            ensureDriver(tag, e.function(), e.driver());
        } else if (step instanceof UnbindConsole c) {
            write(tag, () -> host.consoles().unbindConsole(c.vtcon()));
        } else if (step instanceof BindConsole c) {
            write(tag, () -> host.consoles().bindConsole(c.vtcon()));
        } else if (step instanceof UnbindFramebuffer f) {
            write(tag, () -> host.consoles().unbindFramebuffer(f.driver(), f.device()));
        } else if (step instanceof BindFramebuffer f) {
            write(tag, () -> host.consoles().bindFramebuffer(f.driver(), f.device()));
        } else {
            throw new IllegalStateException("unknown step " + step);
        }
    }

    private void unload(String tag, String module) throws StepFailure {
        for (int attempt = 1; ; attempt++) {
            try {
                write(tag, () -> host.modules().unload(module));
                return;
            } catch (StepFailure f) {
                // A module's use count drops a moment after its last user goes away: retry EBUSY a little.
                if (f.errno != Errno.EBUSY || attempt == UNLOAD_TRIES) {
                    throw f;
                }
                pause(UNLOAD_RETRY_MS);
            }
        }
    }

    private void ensureDriver(String tag, PciAddress fn, String driver) throws StepFailure {
        String now = driverOf(fn).orElseThrow(() -> failure(fn + " is gone"));
        if (now.equals(driver)) {
            return;
        }
        if (!now.isEmpty()) {
            throw failure(fn + " is on " + now + ", not " + driver);
        }
        try {
            write(tag, () -> host.pci().bind(fn, driver));
            return;
        } catch (StepFailure f) {
            if (f.errno != Errno.ENODEV) {
                throw f;
            }
            LOG.info("{}: {} refused {} (ENODEV): removing and rescanning it", tag, fn, driver);
        }
        write(tag, () -> host.pci().remove(fn));
        write(tag, host.pci()::rescan);
        String after = driverOf(fn).orElseThrow(() -> failure(fn + " did not come back after rescan"));
        if (after.isEmpty()) {
            write(tag, () -> host.pci().bind(fn, driver));
        } else if (!after.equals(driver)) {
            throw failure(fn + " came back on " + after + ", not " + driver);
        }
    }

    /** Probing a PCI device is synchronous, so the first read almost always settles it. */
    private void awaitDriver(PciAddress fn, String driver) throws StepFailure {
        long deadline = System.nanoTime() + settleTimeout.toNanos();
        long backoff = 1;
        while (true) {
            String now = driverOf(fn).orElse("(removed)");
            if (now.equals(driver)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw failure(fn + " is on " + (now.isEmpty() ? "no driver" : now) + ", not " + driver
                        + ", after " + settleTimeout.toMillis() + " ms");
            }
            pause(backoff);
            backoff = Math.min(backoff * 2, 50);
        }
    }

    private void awaitNode(String path) throws StepFailure {
        try {
            if (!host.nodes().awaitPath(path, settleTimeout)) {
                throw failure(path + " did not appear within " + settleTimeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted waiting for " + path);
        }
    }

    private void awaitNoHolders(List<String> nodes) throws StepFailure {
        long deadline = System.nanoTime() + settleTimeout.toNanos();
        long backoff = 5;
        while (true) {
            List<String> holders;
            try {
                holders = host.nodes().holders(nodes).stream().map(h -> h.describe()).toList();
            } catch (IOException e) {
                throw failure("cannot list holders: " + e.getMessage());
            }
            if (holders.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new StepFailure(ErrorKind.IN_USE, null, false, "still in use after "
                        + settleTimeout.toMillis() + " ms: " + String.join("; ", holders));
            }
            pause(backoff);
            backoff = Math.min(backoff * 2, 100);
        }
    }

    private Optional<String> driverOf(PciAddress fn) throws StepFailure {
        try {
            return host.pci().driverOf(fn);
        } catch (IOException e) {
            throw failure("cannot read sysfs: " + e.getMessage());
        }
    }

    private interface HostCall {
        void run() throws IOException;
    }

    private void write(String tag, HostCall call) throws StepFailure {
        Future<?> result = writers.submit(() -> {
            Thread t = Thread.currentThread();
            t.setName("gpupassd-" + tag);
            try {
                call.run();
                return null;
            } finally {
                t.setName("gpupassd-write");
            }
        });
        try {
            result.get(writeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new StepFailure(ErrorKind.STUCK, null, true, "the kernel write did not return within "
                    + writeTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof KernelWriteException k) {
                throw new StepFailure(ErrorKind.TRANSITION_FAILED, k.errno(), false, k.getMessage());
            }
            throw new StepFailure(ErrorKind.TRANSITION_FAILED, null, false, String.valueOf(cause.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted");
        }
    }

    private static void pause(long ms) throws StepFailure {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted");
        }
    }

    private static StepFailure failure(String message) {
        return new StepFailure(ErrorKind.TRANSITION_FAILED, null, false, message);
    }

    /** Internal: why one step did not complete. */
    private static final class StepFailure extends Exception {
        final ErrorKind kind;
        final Errno errno;
        final boolean hung;

        StepFailure(ErrorKind kind, Errno errno, boolean hung, String message) {
            super(message);
            this.kind = kind;
            this.errno = errno;
            this.hung = hung;
        }
    }

    void shutdown() {
        writers.shutdownNow();
    }
}
