package org.gpupass.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.gpupass.config.Config;
import org.gpupass.host.Host;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.plan.Decision;
import org.gpupass.plan.Decisions;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.plan.Intent;
import org.gpupass.plan.Planner;
import org.gpupass.plan.Step;
import org.gpupass.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link Decision.Run} under the transition lock: the write-ahead intent, the overlay
 * state ({@code claiming}/{@code releasing}), the steps, the record of the outcome, a rollback when a
 * step fails or the outcome cannot be recorded, a fence when a write hangs; then the model is settled,
 * the transition logged once, and LastError and TransitionFailed tell a failure.
 */
final class TransitionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(TransitionRunner.class);

    private final Host host;
    private final Config config;
    private final StateStore store;
    private final ClaimBook book;
    private final GpuModel model;
    private final Executor executor;
    private final AtomicLong ids = new AtomicLong();

    TransitionRunner(Host host, Config config, StateStore store, ClaimBook book, GpuModel model, Executor executor) {
        this.host = host;
        this.config = config;
        this.store = store;
        this.book = book;
        this.model = model;
        this.executor = executor;
    }

    /** What one transition came to. */
    private static final class Run {
        final Intent intent;
        final String text;
        final String tag;
        final long startNanos = System.nanoTime();
        final List<Step> done = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        StepException failure;
        /** Every step went through, but the record of the outcome could not be written: rolled back. */
        IOException unrecorded;

        Run(Intent intent, String text, String tag) {
            this.intent = intent;
            this.text = text;
            this.tag = tag;
        }

        boolean claim() {
            return intent instanceof Intent.Claiming;
        }
    }

    /** Runs the transition; the GPU's status after it, or the typed error of a failure (rolled back). */
    GpuStatus run(Decision.Run decision, PciDevice gpu) throws GpuPassException {
        Intent intent = decision.intent();
        Run run = new Run(intent, describe(intent), "tx-" + ids.incrementAndGet());
        try {
            store.writeIntent(intent);
        } catch (IOException e) {
            GpuPassException error = new GpuPassException(ErrorKind.TRANSITION_FAILED, run.text
                    + " not started: cannot write the state directory: " + e.getMessage(), e);
            model.reportFailure(intent.gpu(), error);
            throw error;
        }
        LOG.info("{}: {} steps: {}", run.text, decision.plan().steps().size(),
                String.join("; ", decision.plan().describe()));
        model.begin(new GpuModel.Overlay(intent.gpu(), run.claim() ? GpuState.CLAIMING : GpuState.RELEASING,
                intent.holder(), run.text));
        try {
            executor.run(decision.plan().steps(), run.tag, run.done, run.warnings);
        } catch (StepException e) {
            run.failure = e;
        }
        if (run.failure == null) {
            try {
                if (run.claim()) {
                    book.record(((Intent.Claiming) intent).asClaim(Clock.nowMicros()));
                } else {
                    book.release(intent.gpu());
                }
                clearIntent();
                return finish(run, decision.plan().steps().size(), null);
            } catch (IOException e) {
                run.unrecorded = e;
            }
        }
        return finish(run, decision.plan().steps().size(), planRollback(run, gpu));
    }

    /**
     * The steps that undo what {@code run} did, planned on the host as it is now; null when the host
     * cannot be read (the intent then stays, and the next start of the daemon rolls back).
     */
    private List<Step> planRollback(Run run, PciDevice gpu) {
        try {
            return run.intent instanceof Intent.Claiming c
                    ? Planner.rollbackClaim(readSnapshot(), c.functions(), c.driversBefore(), run.done)
                    : Planner.rollbackRelease(readSnapshot(), run.intent.functions(), gpu.iommuGroup(), run.done);
        } catch (GpuPassException unreadable) {
            run.warnings.add("no rollback planned: " + unreadable.getMessage());
            return null;
        }
    }

    /** {@code claim 0000:01:00.0 for win11}, {@code release 0000:01:00.0 from win11}: logs and the Transition property. */
    private static String describe(Intent intent) {
        if (intent instanceof Intent.Claiming) {
            return "claim " + intent.gpu() + " for " + intent.holder();
        }
        return "release " + intent.gpu() + (intent.holder().isEmpty() ? "" : " from " + intent.holder());
    }

    /** Rolls back when needed, settles the model, logs the transition once, and answers or throws. */
    private GpuStatus finish(Run run, int planned, List<Step> rollback) throws GpuPassException {
        PciAddress gpu = run.intent.gpu();
        GpuPassException error = null;
        String outcome;
        if (run.failure == null && run.unrecorded == null) {
            outcome = "ok";
        } else if (run.failure != null && run.failure.hung()) {
            error = book.fence(gpu, run.text + " hung at " + run.failure.where());
            outcome = "stuck";
        } else {
            String rolledBack = rollBack(gpu, run, rollback);
            String what = run.failure != null ? " failed at " + run.failure.where()
                    : " went through but cannot be recorded in the state directory (" + reason(run.unrecorded) + ")";
            ErrorKind kind = run.failure != null && run.failure.kind() == ErrorKind.IN_USE ? ErrorKind.IN_USE
                    : ErrorKind.TRANSITION_FAILED;
            error = book.stateOf(gpu).stuck() ? Decisions.fenced(gpu, run.text + what + "; " + rolledBack)
                    : new GpuPassException(kind, run.text + what + "; " + rolledBack);
            outcome = "failed, " + rolledBack;
        }
        String warning = String.join("; ", run.warnings);
        book.setLastError(gpu, error != null ? error.getMessage()
                : warning.isEmpty() ? "" : run.text + " done, but " + warning);
        model.end(readSnapshotOr(model.snapshot()));
        long ms = (System.nanoTime() - run.startNanos) / 1_000_000;
        String line = String.format("%s: %d/%d steps in %d ms: %s%s", run.text, run.done.size(), planned, ms,
                outcome, warning.isEmpty() ? "" : " (" + warning + ")");
        if (error == null) {
            LOG.info(line);
            return model.gpu(gpu).orElseThrow();
        }
        LOG.error("{}: {}", line, error.getMessage());
        model.announceFailure(gpu, error);
        throw error;
    }

    private String rollBack(PciAddress gpu, Run run, List<Step> rollback) {
        if (rollback == null) {
            // The intent stays: the next start of the daemon plans the rollback on a host it can read.
            return "not rolled back (the host cannot be read); the GPU is left as sysfs shows";
        }
        List<Step> done = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try {
            executor.run(rollback, run.tag + "-rollback", done, warnings);
            clearIntent();
            return "rolled back (" + rollback.size() + " steps)";
        } catch (StepException e) {
            if (e.hung()) {
                book.fence(gpu, "rollback of " + run.text + " hung at " + e.where());
                return "the rollback hung at " + e.where() + "; the GPU is fenced";
            }
            // The intent stays: the next start of the daemon tries the rollback again.
            return "the rollback failed at " + e.where() + "; the GPU is left as sysfs shows";
        }
    }

    private void clearIntent() {
        try {
            store.clearIntent();
        } catch (IOException e) {
            LOG.error("cannot remove the intent record: {}", e.getMessage());
        }
    }

    /** The host now, for a rollback; unreadable is a TransitionFailed. */
    HostSnapshot readSnapshot() throws GpuPassException {
        try {
            return HostSnapshot.read(host, config);
        } catch (IOException e) {
            throw new GpuPassException(ErrorKind.TRANSITION_FAILED, "cannot read the host: " + e.getMessage(), e);
        }
    }

    private HostSnapshot readSnapshotOr(HostSnapshot fallback) {
        try {
            return HostSnapshot.read(host, config);
        } catch (IOException e) {
            LOG.warn("cannot read the host after a transition: {}", e.toString());
            return fallback;
        }
    }

    static String reason(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
