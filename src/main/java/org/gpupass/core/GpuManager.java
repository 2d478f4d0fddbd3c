package org.gpupass.core;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.gpupass.config.Config;
import org.gpupass.host.Host;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.Holders;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.model.Threads;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.Decision;
import org.gpupass.plan.Decisions;
import org.gpupass.plan.GpuAssessor;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.plan.Intent;
import org.gpupass.state.StateStore;
import org.gpupass.state.TransitionLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core behind the D-Bus API, as a thin façade: {@link DeviceResolver} names the GPU, the
 * {@link Decisions} say what a Claim or Release comes to, {@link TransitionRunner} carries out a
 * transition, {@link ClaimBook} holds the claim state and {@link GpuModel} what is published.
 *
 * <p>Reads answer from the model, which is rebuilt from sysfs after every transition and every
 * {@code refresh_interval}. A Claim or Release is decided once on the published model without any
 * lock (an idempotent call or a plain refusal ends there), else again under the host-wide
 * {@link TransitionLock} on a fresh snapshot, and carried out there.
 */
public final class GpuManager implements GpuService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GpuManager.class);
    private static final Duration HEALTH_PROBE = Duration.ofSeconds(1);
    /** How long one host read serves previews (see {@link #previewSnapshot}). */
    private static final Duration PREVIEW_REUSE = Duration.ofMillis(500);

    private final Host host;
    private final Config config;
    private final StateStore store;
    private final String version;
    private final TransitionLock lock;
    private final Executor executor;
    private final ClaimBook book;
    private final GpuModel model;
    private final DeviceResolver resolver;
    private final TransitionRunner runner;
    private final DomainClaims domains;
    private final ScheduledExecutorService refresher =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("gpupassd-refresh"));
    private volatile long lastRefreshNanos = System.nanoTime();

    GpuManager(Host host, Config config, StateStore store, String version, Executor.StepObserver observer) {
        this.host = host;
        this.config = config;
        this.store = store;
        this.version = version;
        this.lock = new TransitionLock(store.lockFile());
        this.executor = new Executor(host, config, observer);
        this.book = new ClaimBook(store);
        this.model = new GpuModel(config, book);
        this.resolver = new DeviceResolver(model, book);
        this.runner = new TransitionRunner(host, config, store, book, model, executor);
        this.domains = new DomainClaims(this, resolver, book);
    }

    /**
     * Opens the state directory, reconciles it with sysfs (finishing or rolling back a transition
     * an earlier process left half done) and starts the background refresh.
     */
    public static GpuManager open(Host host, Config config, Path stateDir, String version) throws IOException {
        GpuManager manager = new GpuManager(host, config, new StateStore(stateDir), version, TestPause.fromEnvironment());
        manager.start();
        return manager;
    }

    void start() throws IOException {
        try (TransitionLock.Held held = lock.acquire(config.lockTimeout(), "another gpupassd")) {
            new Reconciler(host, config, store, executor, book).run();
        } catch (GpuPassException e) {
            throw new IOException("cannot reconcile the state directory: " + e.getMessage(), e);
        }
        refresh();
        long every = config.refreshInterval().toMillis();
        if (every > 0) {
            refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
        }
    }

    // ---- reads

    @Override
    public String version() {
        return version;
    }

    @Override
    public List<GpuStatus> gpus() {
        return model.gpus();
    }

    @Override
    public Optional<GpuStatus> gpu(PciAddress address) {
        return model.gpu(address);
    }

    @Override
    public String transition() {
        return model.transition();
    }

    @Override
    public void addListener(GpuListener listener) {
        model.addListener(listener);
    }

    /** The model answers, and the refresh ran lately (for the systemd watchdog). */
    @Override
    public boolean healthy() {
        long every = config.refreshInterval().toNanos();
        boolean refreshing = every == 0 || System.nanoTime() - lastRefreshNanos < Math.max(every * 5,
                Duration.ofSeconds(30).toNanos());
        return model.responsive(HEALTH_PROBE) && refreshing;
    }

    /** Re-reads sysfs and announces what changed. Safe from any thread. */
    public void refresh() {
        long readAt = model.epoch();
        HostSnapshot snap;
        try {
            snap = HostSnapshot.read(host, config);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the host: {}", e.toString());
            return;
        }
        model.publishIfCurrent(snap, readAt, () -> forgetClaimsRebound(snap));
        lastRefreshNanos = System.nanoTime();
    }

    /** A claimed GPU that something outside the daemon put back on its host drivers is no longer claimed. */
    private void forgetClaimsRebound(HostSnapshot snap) {
        for (PciDevice gpu : snap.gpus(config)) {
            PciAddress a = gpu.address();
            Decisions.ClaimState state = book.stateOf(a);
            if (state.claim() != null && !state.stuck() && !model.inTransition(a)
                    && GpuAssessor.sysfsState(snap.functionsOf(gpu)) == GpuState.HOST) {
                book.forget(a, "it was put back on its host drivers outside gpupassd");
            }
        }
    }

    // ---- Claim and Release

    @Override
    public GpuStatus claim(String device, String holder) throws GpuPassException {
        Holders.require(holder);
        Asked asked = ask(Intent.Operation.CLAIM, device, holder);
        return decideAndCarryOut(asked.gpu(), false, asked.rule());
    }

    @Override
    public GpuStatus release(String device, String holder) throws GpuPassException {
        if (!holder.isEmpty()) {
            Holders.require(holder);
        }
        Asked asked = ask(Intent.Operation.RELEASE, device, holder);
        // A Release that finds nothing to do publishes the fresh look it took (hooks call it twice).
        return decideAndCarryOut(asked.gpu(), true, asked.rule());
    }

    /** The rule of one operation for one GPU, as {@link Decisions} states it. */
    private interface Rule {
        Decision decide(HostSnapshot snap, Decisions.ClaimState state);
    }

    /** The GPU a Claim or Release names, and its rule: what Claim, Release and {@link #preview} decide by. */
    private record Asked(PciAddress gpu, Rule rule) {
    }

    private Asked ask(Intent.Operation operation, String device, String holder) throws GpuPassException {
        if (operation == Intent.Operation.CLAIM) {
            PciAddress gpu = resolver.forClaim(device, holder);
            return new Asked(gpu, (snap, state) -> Decisions.claim(snap, config, gpu, state, holder, Clock.nowMicros()));
        }
        PciAddress gpu = resolver.forRelease(device);
        return new Asked(gpu, (snap, state) -> Decisions.release(snap, config, gpu, state, holder, Clock.nowMicros()));
    }

    /**
     * Decides on the published model first: an idempotent call ({@code Done}) or a plain refusal
     * ends there, without the lock. Anything else is decided again under the lock on a fresh
     * snapshot, and carried out there.
     */
    private GpuStatus decideAndCarryOut(PciAddress gpu, boolean publishWhenDone, Rule rule) throws GpuPassException {
        Decision quick = rule.decide(model.snapshot(), book.stateOf(gpu));
        if (quick instanceof Decision.Done || quick instanceof Decision.Refuse) {
            return carryOut(quick, gpu, model.snapshot());
        }
        return underLock(gpu, () -> {
            HostSnapshot snap = runner.readSnapshot();
            Decision decision = rule.decide(snap, book.stateOf(gpu));
            if (publishWhenDone && decision instanceof Decision.Done) {
                model.publish(snap);
            }
            return carryOut(decision, gpu, snap);
        });
    }

    /** The decision a Claim or Release would come to under the lock, on a snapshot read now; nothing is changed. */
    @Override
    public TransitionPreview preview(Intent.Operation operation, String device, String holder)
            throws GpuPassException {
        if (!holder.isEmpty()) {
            Holders.require(holder);
        }
        Asked asked = ask(operation, device, holder);
        PciAddress gpu = asked.gpu();
        Decision d = asked.rule().decide(previewSnapshot(), book.stateOf(gpu));
        if (d instanceof Decision.Refuse r) {
            throw r.error();
        } else if (d instanceof Decision.Block b) {
            throw b.error();
        } else if (d instanceof Decision.Run run) {
            return new TransitionPreview(gpu, "transition", run.plan().describe());
        }
        return new TransitionPreview(gpu, d instanceof Decision.Adopt ? "adopt"
                : d instanceof Decision.Forget ? "forget" : "none", List.of());
    }

    /** A snapshot for {@link #preview}, read again only after a transition or {@link #PREVIEW_REUSE}. */
    private record PreviewSnapshot(HostSnapshot snap, long epoch, long readNanos) {
    }

    private PreviewSnapshot lastPreview;

    /**
     * Anyone may ask for a preview, and a snapshot scans /proc for holders (milliseconds on a
     * desktop): previews are read one at a time, and one read serves every preview for a moment
     * unless a transition began or ended since.
     */
    private synchronized HostSnapshot previewSnapshot() throws GpuPassException {
        long epoch = model.epoch();
        PreviewSnapshot last = lastPreview;
        if (last != null && last.epoch() == epoch && System.nanoTime() - last.readNanos() < PREVIEW_REUSE.toNanos()) {
            return last.snap();
        }
        HostSnapshot snap = runner.readSnapshot();
        lastPreview = new PreviewSnapshot(snap, epoch, System.nanoTime());
        return snap;
    }

    @Override
    public List<GpuStatus> claimDomain(String domain, String domainXml) throws GpuPassException {
        return domains.claim(domain, domainXml);
    }

    @Override
    public List<GpuStatus> releaseDomain(String domain) throws GpuPassException {
        return domains.release(domain);
    }

    private interface Locked {
        GpuStatus run() throws GpuPassException;
    }

    /** Runs under the host-wide lock; a caller that cannot get it in {@code lock_timeout} gets (and signals) Busy. */
    private GpuStatus underLock(PciAddress gpu, Locked body) throws GpuPassException {
        TransitionLock.Held held;
        try {
            held = lock.acquire(config.lockTimeout(), model.transition());
        } catch (GpuPassException busy) {
            model.reportFailure(gpu, busy);
            throw busy;
        }
        try (held) {
            return body.run();
        }
    }

    /** Does what the decision says; {@code snap} is the host it was decided on. */
    private GpuStatus carryOut(Decision decision, PciAddress gpu, HostSnapshot snap) throws GpuPassException {
        if (decision instanceof Decision.Done) {
            return model.gpu(gpu).orElseThrow();
        } else if (decision instanceof Decision.Refuse r) {
            throw r.error();
        } else if (decision instanceof Decision.Block b) {
            model.reportFailure(gpu, b.error());
            throw b.error();
        } else if (decision instanceof Decision.Forget f) {
            book.forget(gpu, f.why());
            model.publish(snap);
            return model.gpu(gpu).orElseThrow();
        } else if (decision instanceof Decision.Adopt a) {
            return adopt(a.claim(), snap);
        }
        Decision.Run run = (Decision.Run) decision;
        PciDevice device = snap.device(gpu).orElseThrow();
        return runner.run(run, device);
    }

    /** A GPU already on vfio-pci becomes the caller's without a transition, once the claim is on disk. */
    private GpuStatus adopt(ClaimRecord claim, HostSnapshot snap) throws GpuPassException {
        try {
            book.record(claim);
        } catch (IOException e) {
            GpuPassException error = new GpuPassException(ErrorKind.TRANSITION_FAILED, "claim " + claim.gpu()
                    + " for " + claim.holder() + ": it is on vfio-pci, but the claim cannot be recorded in the state "
                    + "directory (" + TransitionRunner.reason(e) + "); not adopted, nothing changed", e);
            LOG.error(error.getMessage());
            model.reportFailure(claim.gpu(), error);
            throw error;
        }
        LOG.info("claim {} for {}: already on vfio-pci, adopted (no transition)", claim.gpu(), claim.holder());
        model.publish(snap);
        return model.gpu(claim.gpu()).orElseThrow();
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        executor.shutdown();
    }
}
