package org.gpupass.core;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.gpupass.host.Host;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU state model and its transitions: the core behind the D-Bus API.
 *
 * <p>Reads answer from an in-memory model that is rebuilt from sysfs after every transition and
 * every {@code refresh_interval}. Transitions run on the caller's thread under the host-wide
 * {@link TransitionLock}, with a write-ahead {@link Intent} in the state directory, and are rolled
 * back on failure. A hung kernel write fences its GPU ({@code stuck}); everything else goes on.
 */
public final class GpuManager implements GpuService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GpuManager.class);
    private static final Duration HEALTH_PROBE = Duration.ofSeconds(1);

    private final Host host;
    private final Config config;
    private final StateStore store;
    private final TransitionLock lock;
    private final Executor executor;
    private final String version;

    private final ReentrantLock modelLock = new ReentrantLock();
    private volatile Map<PciAddress, GpuStatus> model = Map.of();
    private volatile HostSnapshot snapshot;
    private volatile long lastRefreshNanos = System.nanoTime();
    private volatile String transition = "";
    /** Bumped when a transition begins and ends: a refresh read before that is stale. */
    private long epoch;

    private final Map<PciAddress, ClaimRecord> claims = new ConcurrentHashMap<>();
    private final Set<PciAddress> stuck = ConcurrentHashMap.newKeySet();
    private final Map<PciAddress, GpuState> inTransition = new ConcurrentHashMap<>();
    /** The holder a running claim is for (no claim record yet): its StateChanged and Holder name it. */
    private final Map<PciAddress, String> claimants = new ConcurrentHashMap<>();
    private final Map<PciAddress, String> lastErrors = new ConcurrentHashMap<>();
    private final List<GpuListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong transitionIds = new AtomicLong();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpupassd-refresh");
        t.setDaemon(true);
        return t;
    });

    GpuManager(Host host, Config config, StateStore store, String version, Executor.StepObserver observer) {
        this.host = host;
        this.config = config;
        this.store = store;
        this.lock = new TransitionLock(store.lockFile());
        this.executor = new Executor(host, config, observer);
        this.version = version;
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
            new Reconciler(host, config, store, executor, claims, stuck).run();
        } catch (GpuPassException e) {
            throw new IOException("cannot reconcile the state directory: " + e.getMessage(), e);
        }
        refresh();
        long every = config.refreshInterval().toMillis();
        if (every > 0) {
            refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
        }
    }

    // ---- reads --------------------------------------------------------------------------------

    @Override
    public String version() {
        return version;
    }

    @Override
    public List<GpuStatus> gpus() {
        return List.copyOf(model.values());
    }

    @Override
    public Optional<GpuStatus> gpu(PciAddress address) {
        return Optional.ofNullable(model.get(address));
    }

    @Override
    public String transition() {
        return transition;
    }

    @Override
    public void addListener(GpuListener listener) {
        listeners.add(listener);
    }

    @Override
    public boolean healthy() {
        boolean modelResponsive;
        try {
            modelResponsive = modelLock.tryLock(HEALTH_PROBE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (modelResponsive) {
            modelLock.unlock();
        }
        long every = config.refreshInterval().toNanos();
        boolean refreshing = every == 0 || System.nanoTime() - lastRefreshNanos < Math.max(every * 5,
                Duration.ofSeconds(30).toNanos());
        return modelResponsive && refreshing;
    }

    /** Re-reads sysfs and announces what changed. Safe from any thread. */
    public void refresh() {
        long readAt = currentEpoch();
        HostSnapshot snap;
        try {
            snap = HostSnapshot.read(host, config);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the host: {}", e.toString());
            return;
        }
        modelLock.lock();
        try {
            if (epoch == readAt) {
                dropClaimsRebound(snap);
                publish(snap);
            }
            lastRefreshNanos = System.nanoTime();
        } finally {
            modelLock.unlock();
        }
    }

    private long currentEpoch() {
        modelLock.lock();
        try {
            return epoch;
        } finally {
            modelLock.unlock();
        }
    }

    /** A claimed GPU that something outside the daemon put back on its host drivers is no longer claimed. */
    private void dropClaimsRebound(HostSnapshot snap) {
        for (PciDevice gpu : snap.gpus(config)) {
            PciAddress a = gpu.address();
            if (claims.containsKey(a) && !inTransition.containsKey(a) && !stuck.contains(a)
                    && GpuAssessor.sysfsState(snap.functionsOf(gpu)) == GpuState.HOST) {
                dropClaim(a, "it was put back on its host drivers outside gpupassd");
            }
        }
    }

    // ---- Claim ----------------------------------------------------------------------------------

    @Override
    public GpuStatus claim(String device, String holder) throws GpuPassException {
        Holders.require(holder);
        PciAddress gpu = resolve(device, holder);
        // Decide from one immutable status: claims and model are updated apart.
        GpuStatus now = model.get(gpu);
        if (now != null && now.state() == GpuState.VFIO && now.holder().equals(holder)) {
            return now;
        }
        ClaimRecord held = claims.get(gpu);
        if (held != null && !held.holder().isEmpty() && !held.holder().equals(holder)) {
            throw alreadyClaimed(gpu, held);
        }
        return underLock(gpu, () -> claimLocked(gpu, holder));
    }

    private interface Locked {
        GpuStatus run() throws GpuPassException;
    }

    /** Runs a transition under the host-wide lock; a caller that cannot get it gets (and signals) Busy. */
    private GpuStatus underLock(PciAddress gpu, Locked body) throws GpuPassException {
        TransitionLock.Held held;
        try {
            held = lock.acquire(config.lockTimeout(), transition);
        } catch (GpuPassException busy) {
            reportFailure(gpu, busy);
            throw busy;
        }
        try (held) {
            return body.run();
        }
    }

    private GpuStatus claimLocked(PciAddress address, String holder) throws GpuPassException {
        HostSnapshot snap = readSnapshot();
        PciDevice gpu = managedGpu(snap, address);
        checkNotStuck(address);
        ClaimRecord held = claims.get(address);
        if (held != null && !held.holder().isEmpty()) {
            if (held.holder().equals(holder)) {
                return model.get(address);
            }
            throw alreadyClaimed(address, held);
        }
        List<PciDevice> functions = snap.functionsOf(gpu);
        if (GpuAssessor.sysfsState(functions) == GpuState.VFIO) {
            ClaimRecord adopted = (held != null ? held : ClaimRecord.adopted(address, nowMicros()))
                    .withHolder(holder, nowMicros());
            saveClaim(adopted);
            LOG.info("claim {} for {}: already on vfio-pci, adopted (no transition)", address, holder);
            publish(snap);
            return model.get(address);
        }
        Plan plan;
        try {
            plan = Planner.claim(snap, gpu, config);
        } catch (GpuPassException refused) {
            reportFailure(address, refused);
            throw refused;
        }
        Map<PciAddress, String> origin = new TreeMap<>();
        functions.stream().filter(PciDevice::hasDriver).forEach(f -> origin.put(f.address(), f.driver()));
        List<String> stopped = plan.steps().stream().filter(s -> s instanceof Step.StopUnit)
                .map(s -> ((Step.StopUnit) s).unit()).toList();
        Intent intent = new Intent(Intent.CLAIM, address, holder, addresses(functions), origin, stopped,
                plan.unitsToRestore(), plan.unloadedModules(), nowMicros(), plan.unboundConsoles(),
                plan.unboundFramebuffers());
        Run run = execute(intent, plan.steps(), GpuState.CLAIMING, "claim " + address + " for " + holder);
        if (run.failure == null) {
            saveClaim(intent.asClaim(nowMicros()));
            clearIntent();
            return finish(address, run, null);
        }
        List<Step> rollback = Planner.rollbackClaim(readSnapshot(), intent.functions(), origin, run.done);
        return finish(address, run, rollback);
    }

    // ---- Release --------------------------------------------------------------------------------

    @Override
    public GpuStatus release(String device, String holder) throws GpuPassException {
        if (!holder.isEmpty()) {
            Holders.require(holder);
        }
        PciAddress gpu = resolveClaimed(device);
        checkHolder(gpu, holder);
        GpuStatus now = model.get(gpu);
        if (claims.get(gpu) == null && now != null && now.state() == GpuState.HOST) {
            return now;
        }
        return underLock(gpu, () -> releaseLocked(gpu, holder));
    }

    private GpuStatus releaseLocked(PciAddress address, String holder) throws GpuPassException {
        HostSnapshot snap = readSnapshot();
        PciDevice gpu = managedGpu(snap, address);
        checkNotStuck(address);
        checkHolder(address, holder);
        List<PciDevice> functions = snap.functionsOf(gpu);
        boolean anyOnVfio = functions.stream().anyMatch(f -> f.driver().equals(GpuAssessor.VFIO_DRIVER));
        ClaimRecord claim = claims.get(address);
        if (!anyOnVfio) {
            if (claim != null) {
                dropClaim(address, "it is already back on its host drivers");
            }
            publish(snap);
            return model.get(address);
        }
        if (claim == null) {
            claim = ClaimRecord.adopted(address, nowMicros());
        }
        Plan plan;
        try {
            plan = Planner.release(snap, gpu, claim);
        } catch (GpuPassException refused) {
            reportFailure(address, refused);
            throw refused;
        }
        Intent intent = new Intent(Intent.RELEASE, address, claim.holder(), addresses(functions), claim.hostDrivers(),
                claim.unitsToRestore(), List.of(), claim.unloadedModules(), nowMicros(), claim.unboundConsoles(),
                claim.unboundFramebuffers());
        String who = claim.holder().isEmpty() ? "" : " from " + claim.holder();
        Run run = execute(intent, plan.steps(), GpuState.RELEASING, "release " + address + who);
        if (run.failure == null) {
            dropClaim(address, null);
            clearIntent();
            return finish(address, run, null);
        }
        List<Step> rollback = Planner.rollbackRelease(readSnapshot(), intent.functions(), gpu.iommuGroup(), run.done);
        return finish(address, run, rollback);
    }

    // ---- libvirt domains ------------------------------------------------------------------------

    @Override
    public List<GpuStatus> claimDomain(String domain, String domainXml) throws GpuPassException {
        Holders.require(domain);
        List<Hostdev> hostdevs = DomainXml.pciHostdevs(domainXml);
        Map<PciAddress, PciAddress> gpuOfFunction = functionIndex();
        List<PciAddress> wanted = new ArrayList<>();
        for (Hostdev dev : hostdevs) {
            PciAddress gpu = gpuOfFunction.get(dev.address());
            if (gpu == null) {
                continue;
            }
            if (dev.managed()) {
                throw new GpuPassException(ErrorKind.MANAGED_HOSTDEV, "domain " + Printable.clip(domain)
                        + " has managed='yes' on " + dev.address() + " (of GPU " + gpu + "): libvirt would rebind it "
                        + "behind gpupassd's back; set managed='no' on every hostdev of the GPU");
            }
            if (!wanted.contains(gpu)) {
                wanted.add(gpu);
            }
        }
        wanted.sort(Comparator.naturalOrder());
        List<GpuStatus> claimed = new ArrayList<>();
        for (PciAddress gpu : wanted) {
            boolean heldBefore = claims.containsKey(gpu) && domain.equals(claims.get(gpu).holder());
            try {
                claimed.add(claim(gpu.toString(), domain));
            } catch (GpuPassException e) {
                undoDomainClaims(domain, claimed);
                throw e;
            }
            if (heldBefore) {
                LOG.debug("domain {} already held {}", domain, gpu);
            }
        }
        return claimed;
    }

    private void undoDomainClaims(String domain, List<GpuStatus> claimed) {
        for (GpuStatus done : claimed) {
            try {
                release(done.address().toString(), domain);
            } catch (GpuPassException e) {
                LOG.warn("could not release {} after a failed ClaimDomain for {}: {}", done.address(), domain, e);
            }
        }
    }

    @Override
    public List<GpuStatus> releaseDomain(String domain) throws GpuPassException {
        Holders.require(domain);
        List<PciAddress> held = claims.values().stream().filter(c -> c.holder().equals(domain))
                .map(ClaimRecord::gpu).sorted().toList();
        List<GpuStatus> released = new ArrayList<>();
        GpuPassException first = null;
        for (PciAddress gpu : held) {
            try {
                released.add(release(gpu.toString(), domain));
            } catch (GpuPassException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
        return released;
    }

    // ---- the transition runner -------------------------------------------------------------------

    /** What an executed plan came to. */
    private static final class Run {
        final Intent intent;
        final String text;
        final String tag;
        final long startNanos = System.nanoTime();
        final List<Step> done = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        final int planned;
        StepException failure;

        Run(Intent intent, String text, String tag, int planned) {
            this.intent = intent;
            this.text = text;
            this.tag = tag;
            this.planned = planned;
        }
    }

    private Run execute(Intent intent, List<Step> steps, GpuState overlay, String text) throws GpuPassException {
        Run run = new Run(intent, text, "tx-" + transitionIds.incrementAndGet(), steps.size());
        try {
            store.writeIntent(intent);
        } catch (IOException e) {
            GpuPassException error = new GpuPassException(ErrorKind.TRANSITION_FAILED, text
                    + " not started: cannot write the state directory: " + e.getMessage(), e);
            reportFailure(intent.gpu(), error);
            throw error;
        }
        begin(intent.gpu(), overlay, overlay == GpuState.CLAIMING ? intent.holder() : "", text);
        try {
            executor.run(steps, run.tag, run.done, run.warnings);
        } catch (StepException e) {
            run.failure = e;
        }
        return run;
    }

    /** Rolls back when needed, settles the model, logs the transition once, and answers or throws. */
    private GpuStatus finish(PciAddress gpu, Run run, List<Step> rollback) throws GpuPassException {
        GpuPassException error = null;
        String outcome;
        if (run.failure == null) {
            outcome = "ok";
        } else if (run.failure.hung()) {
            error = fence(gpu, run.text + " hung at " + run.failure.where());
            outcome = "stuck";
        } else {
            String rolledBack = rollBack(gpu, run, rollback);
            ErrorKind kind = run.failure.kind() == ErrorKind.IN_USE ? ErrorKind.IN_USE : ErrorKind.TRANSITION_FAILED;
            error = stuck.contains(gpu) ? fenced(gpu, run.text + " failed at " + run.failure.where() + "; " + rolledBack)
                    : new GpuPassException(kind, run.text + " failed at " + run.failure.where() + "; " + rolledBack);
            outcome = "failed, " + rolledBack;
        }
        String warning = String.join("; ", run.warnings);
        if (error != null) {
            lastErrors.put(gpu, error.getMessage());
        } else if (!warning.isEmpty()) {
            lastErrors.put(gpu, run.text + " done, but " + warning);
        } else {
            lastErrors.remove(gpu);
        }
        end(gpu);
        long ms = (System.nanoTime() - run.startNanos) / 1_000_000;
        String line = String.format("%s: %d/%d steps in %d ms: %s%s", run.text, run.done.size(), run.planned, ms,
                outcome, warning.isEmpty() ? "" : " (" + warning + ")");
        if (error == null) {
            LOG.info(line);
            return model.get(gpu);
        }
        LOG.error("{}: {}", line, error.getMessage());
        announceFailure(gpu, error);
        throw error;
    }

    private String rollBack(PciAddress gpu, Run run, List<Step> rollback) {
        List<Step> done = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try {
            executor.run(rollback, run.tag + "-rollback", done, warnings);
            clearIntent();
            return "rolled back (" + rollback.size() + " steps)";
        } catch (StepException e) {
            if (e.hung()) {
                fence(gpu, "rollback of " + run.text + " hung at " + e.where());
                return "the rollback hung at " + e.where() + "; the GPU is fenced";
            }
            // The intent stays: the next start of the daemon tries the rollback again.
            return "the rollback failed at " + e.where() + "; the GPU is left as sysfs shows";
        }
    }

    private GpuPassException fence(PciAddress gpu, String what) {
        stuck.add(gpu);
        try {
            store.markStuck(gpu, what);
        } catch (IOException e) {
            LOG.warn("cannot record that {} is stuck: {}", gpu, e.getMessage());
        }
        return fenced(gpu, what);
    }

    private static GpuPassException fenced(PciAddress gpu, String what) {
        return new GpuPassException(ErrorKind.STUCK, what + "; " + gpu + " is fenced until a reboot or a "
                + "remove+rescan of the device");
    }

    private void begin(PciAddress gpu, GpuState overlay, String claimant, String text) {
        modelLock.lock();
        try {
            epoch++;
            inTransition.put(gpu, overlay);
            if (!claimant.isEmpty()) {
                claimants.put(gpu, claimant);
            }
            transition = text;
            listeners.forEach(l -> notify(() -> l.transitionChanged(text)));
            publish(snapshot);
        } finally {
            modelLock.unlock();
        }
    }

    private void end(PciAddress gpu) {
        HostSnapshot snap;
        try {
            snap = HostSnapshot.read(host, config);
        } catch (IOException e) {
            LOG.warn("cannot read the host after a transition: {}", e.toString());
            snap = snapshot;
        }
        modelLock.lock();
        try {
            epoch++;
            inTransition.remove(gpu);
            claimants.remove(gpu);
            transition = "";
            publish(snap);
            listeners.forEach(l -> notify(() -> l.transitionChanged("")));
        } finally {
            modelLock.unlock();
        }
    }

    // ---- the model ----------------------------------------------------------------------------------

    private void publish(HostSnapshot snap) {
        modelLock.lock();
        try {
            Map<PciAddress, GpuStatus> before = model;
            Map<PciAddress, GpuStatus> next = new LinkedHashMap<>();
            for (PciDevice gpu : snap.gpus(config)) {
                next.put(gpu.address(), statusOf(snap, gpu, before.get(gpu.address())));
            }
            model = next;
            snapshot = snap;
            if (!before.keySet().equals(next.keySet())) {
                listeners.forEach(l -> notify(l::gpuSetChanged));
            }
            for (GpuStatus after : next.values()) {
                GpuStatus old = before.get(after.address());
                if (old != null && !old.equals(after)) {
                    listeners.forEach(l -> notify(() -> l.gpuChanged(old, after)));
                }
            }
        } finally {
            modelLock.unlock();
        }
    }

    private GpuStatus statusOf(HostSnapshot snap, PciDevice gpu, GpuStatus previous) {
        PciAddress a = gpu.address();
        List<PciDevice> functions = snap.functionsOf(gpu);
        ClaimRecord claim = claims.get(a);
        GpuState state = stuck.contains(a) ? GpuState.STUCK
                : inTransition.getOrDefault(a, GpuAssessor.sysfsState(functions));
        String hostDriver = claim != null ? claim.hostDrivers().getOrDefault(a, "")
                : gpu.driver().equals(GpuAssessor.VFIO_DRIVER) ? "" : gpu.driver();
        String holder = claim != null ? claim.holder() : claimants.getOrDefault(a, "");
        List<String> blockers = blockersOf(snap, gpu, state, holder);
        boolean claimable = blockers.isEmpty()
                && (state == GpuState.HOST || state == GpuState.VFIO || state == GpuState.UNBOUND
                || state == GpuState.MIXED);
        long since = previous == null ? (claim != null ? claim.sinceMicros() : nowMicros())
                : previous.state() == state ? previous.sinceMicros() : nowMicros();
        return new GpuStatus(a, gpu.displayName(), gpu.vendorId(), gpu.deviceId(), state, gpu.driver(), hostDriver,
                addresses(functions), gpu.iommuGroup(), gpu.bootVga(), claimable, blockers, holder, since,
                lastErrors.getOrDefault(a, ""));
    }

    private List<String> blockersOf(HostSnapshot snap, PciDevice gpu, GpuState state, String holder) {
        if (state == GpuState.STUCK) {
            return List.of("a kernel write for " + gpu.address() + " hung; only a reboot or a remove+rescan can help");
        }
        if (!holder.isEmpty()) {
            return List.of("claimed by " + holder);
        }
        if (state == GpuState.VFIO) {
            return List.of();
        }
        return GpuAssessor.claimBlockers(snap, gpu, config).stream().map(Blocker::sentence).toList();
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private PciAddress resolve(String device, String holder) throws GpuPassException {
        if (device == null || !device.isEmpty()) {
            return gpuOf(device);
        }
        List<GpuStatus> mine = model.values().stream().filter(g -> g.holder().equals(holder)).toList();
        if (mine.size() == 1) {
            return mine.get(0).address();
        }
        List<GpuStatus> claimable = model.values().stream().filter(GpuStatus::claimable)
                .filter(g -> g.holder().isEmpty()).toList();
        if (claimable.size() == 1) {
            return claimable.get(0).address();
        }
        if (claimable.isEmpty()) {
            String why = model.values().stream().map(g -> g.address() + ": " + String.join(", ", g.blockers()))
                    .collect(Collectors.joining("; "));
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no claimable GPU" + (why.isEmpty() ? "" : " (" + why + ")"));
        }
        throw new GpuPassException(ErrorKind.AMBIGUOUS, "several GPUs are claimable ("
                + claimable.stream().map(g -> g.address().toString()).collect(Collectors.joining(", "))
                + "); name one");
    }

    /** For Release, "" names the one GPU that is claimed or on vfio-pci. */
    private PciAddress resolveClaimed(String device) throws GpuPassException {
        if (device == null || !device.isEmpty()) {
            return gpuOf(device);
        }
        List<GpuStatus> claimed = model.values().stream()
                .filter(g -> claims.containsKey(g.address()) || g.state() != GpuState.HOST).toList();
        if (claimed.size() == 1) {
            return claimed.get(0).address();
        }
        if (claimed.isEmpty()) {
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no GPU is claimed");
        }
        throw new GpuPassException(ErrorKind.AMBIGUOUS, "several GPUs are claimed ("
                + claimed.stream().map(g -> g.address().toString()).collect(Collectors.joining(", ")) + "); name one");
    }

    /** The managed GPU one of whose functions this address is. */
    private PciAddress gpuOf(String device) throws GpuPassException {
        PciAddress address = PciAddress.parse(device);
        PciAddress gpu = functionIndex().get(address);
        if (gpu != null) {
            return gpu;
        }
        Optional<PciDevice> other = snapshot.device(address);
        if (other.isPresent()) {
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, address + " ("
                    + ClassNames.of(other.get().classCode()) + ") is not a GPU or a GPU function gpupassd manages");
        }
        throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no PCI device " + address);
    }

    private Map<PciAddress, PciAddress> functionIndex() {
        Map<PciAddress, PciAddress> index = new TreeMap<>();
        for (GpuStatus g : model.values()) {
            g.functions().forEach(f -> index.putIfAbsent(f, g.address()));
        }
        return index;
    }

    private PciDevice managedGpu(HostSnapshot snap, PciAddress address) throws GpuPassException {
        return snap.gpus(config).stream().filter(d -> d.address().equals(address)).findFirst()
                .orElseThrow(() -> new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "GPU " + address + " is gone"));
    }

    private void checkNotStuck(PciAddress gpu) throws GpuPassException {
        if (stuck.contains(gpu)) {
            throw fenced(gpu, "a kernel write for " + gpu + " hung earlier");
        }
    }

    private void checkHolder(PciAddress gpu, String holder) throws GpuPassException {
        ClaimRecord claim = claims.get(gpu);
        if (!holder.isEmpty() && claim != null && !claim.holder().equals(holder)) {
            String who = claim.holder().isEmpty() ? "nobody (it was found on vfio-pci)" : claim.holder();
            throw new GpuPassException(ErrorKind.NOT_HOLDER, gpu + " is held by " + who + ", not by "
                    + Printable.clip(holder) + " (holder \"\" forces the release)");
        }
    }

    private static GpuPassException alreadyClaimed(PciAddress gpu, ClaimRecord held) {
        return new GpuPassException(ErrorKind.ALREADY_CLAIMED, gpu + " is already claimed by " + held.holder());
    }

    private HostSnapshot readSnapshot() throws GpuPassException {
        try {
            return HostSnapshot.read(host, config);
        } catch (IOException e) {
            throw new GpuPassException(ErrorKind.TRANSITION_FAILED, "cannot read the host: " + e.getMessage(), e);
        }
    }

    private void saveClaim(ClaimRecord claim) throws GpuPassException {
        try {
            store.saveClaim(claim);
        } catch (IOException e) {
            LOG.error("cannot record the claim of {} in the state directory: {}", claim.gpu(), e.getMessage());
        }
        claims.put(claim.gpu(), claim);
    }

    private void dropClaim(PciAddress gpu, String why) {
        claims.remove(gpu);
        try {
            store.deleteClaim(gpu);
        } catch (IOException e) {
            LOG.error("cannot remove the claim of {} from the state directory: {}", gpu, e.getMessage());
        }
        if (why != null) {
            LOG.info("claim of {} dropped: {}", gpu, why);
        }
    }

    private void clearIntent() {
        try {
            store.clearIntent();
        } catch (IOException e) {
            LOG.error("cannot remove the intent record: {}", e.getMessage());
        }
    }

    /** Refusals and failures of a resolved GPU: LastError and the TransitionFailed signal. */
    private void reportFailure(PciAddress gpu, GpuPassException error) {
        lastErrors.put(gpu, error.getMessage());
        publish(snapshot);
        announceFailure(gpu, error);
    }

    private void announceFailure(PciAddress gpu, GpuPassException error) {
        GpuStatus status = model.get(gpu);
        if (status != null) {
            listeners.forEach(l -> notify(() -> l.transitionFailed(status, error)));
        }
    }

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("a listener failed: {}", e.toString());
        }
    }

    private static List<PciAddress> addresses(List<PciDevice> devices) {
        return devices.stream().map(PciDevice::address).toList();
    }

    static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }


    @Override
    public void close() {
        refresher.shutdownNow();
        executor.shutdown();
    }
}
