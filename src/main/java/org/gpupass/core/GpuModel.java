package org.gpupass.core;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.gpupass.config.Config;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.plan.Blocker;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.GpuAssessor;
import org.gpupass.plan.HostSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon tells about its GPUs: one {@link GpuStatus} per managed GPU, built from the last
 * host snapshot, the claim state and the running transition, and every change announced to the
 * listeners in order. Reads are lock-free; publishing is serialized by the model lock, and a
 * snapshot read before a transition began or ended is not published (the epoch says so).
 */
final class GpuModel {
    private static final Logger LOG = LoggerFactory.getLogger(GpuModel.class);

    /** What a running transition shows of its GPU: {@code claiming} or {@code releasing}, and for whom. */
    record Overlay(PciAddress gpu, GpuState state, String holder, String text) {
    }

    private final Config config;
    private final ClaimBook book;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<GpuListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<PciAddress, GpuStatus> statuses = Map.of();
    private volatile HostSnapshot snapshot;
    private volatile Overlay running;
    /** Bumped when a transition begins and ends: a refresh read before that is stale. */
    private long epoch;

    GpuModel(Config config, ClaimBook book) {
        this.config = config;
        this.book = book;
    }

    // ---- reads

    List<GpuStatus> gpus() {
        return List.copyOf(statuses.values());
    }

    Optional<GpuStatus> gpu(PciAddress address) {
        return Optional.ofNullable(statuses.get(address));
    }

    /** The snapshot the statuses were built from. */
    HostSnapshot snapshot() {
        return snapshot;
    }

    /** {@code ""} when idle, else e.g. {@code claim 0000:01:00.0 for win11}. */
    String transition() {
        Overlay o = running;
        return o == null ? "" : o.text();
    }

    /** The GPU a transition is moving now, if any. */
    boolean inTransition(PciAddress gpu) {
        Overlay o = running;
        return o != null && o.gpu().equals(gpu);
    }

    void addListener(GpuListener listener) {
        listeners.add(listener);
    }

    /** False when the model lock could not be had within {@code probe}: something is wedged. */
    boolean responsive(Duration probe) {
        try {
            if (lock.tryLock(probe.toMillis(), TimeUnit.MILLISECONDS)) {
                lock.unlock();
                return true;
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ---- changes

    long epoch() {
        lock.lock();
        try {
            return epoch;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes a snapshot read at {@code readAt}, unless a transition began or ended since; first
     * {@code beforePublish} runs under the model lock (the refresh forgets claims sysfs voids there).
     * Whether it was published.
     */
    boolean publishIfCurrent(HostSnapshot snap, long readAt, Runnable beforePublish) {
        lock.lock();
        try {
            if (epoch != readAt) {
                return false;
            }
            beforePublish.run();
            publish(snap);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A transition begins: its GPU shows the overlay's state. */
    void begin(Overlay overlay) {
        lock.lock();
        try {
            epoch++;
            running = overlay;
            listeners.forEach(l -> notify(() -> l.transitionChanged(overlay.text())));
            publish(snapshot);
        } finally {
            lock.unlock();
        }
    }

    /** The transition ended: its GPU shows what {@code after} (read after its last step) says. */
    void end(HostSnapshot after) {
        lock.lock();
        try {
            epoch++;
            running = null;
            publish(after);
            listeners.forEach(l -> notify(() -> l.transitionChanged("")));
        } finally {
            lock.unlock();
        }
    }

    /** Rebuilds every status from {@code snap} and the claim state, and announces what changed. */
    void publish(HostSnapshot snap) {
        lock.lock();
        try {
            Map<PciAddress, GpuStatus> before = statuses;
            Map<PciAddress, GpuStatus> next = new LinkedHashMap<>();
            ClaimBook.View claims = book.view();
            Overlay overlay = running;
            for (PciDevice gpu : snap.gpus(config)) {
                next.put(gpu.address(), statusOf(snap, gpu, claims, overlay, before.get(gpu.address())));
            }
            statuses = next;
            snapshot = snap;
            if (!before.keySet().equals(next.keySet())) {
                listeners.forEach(l -> notify(l::gpuSetChanged));
            }
            for (GpuStatus after : next.values()) {
                GpuStatus old = before.get(after.address());
                if (old != null && !old.equals(after)) {
                    String holder = changeHolder(after, overlay);
                    listeners.forEach(l -> notify(() -> l.gpuChanged(old, after, holder)));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A refused or failed Claim or Release: its LastError is shown, then TransitionFailed is announced. */
    void reportFailure(PciAddress gpu, GpuPassException error) {
        book.setLastError(gpu, error.getMessage());
        publish(snapshot);
        announceFailure(gpu, error);
    }

    /** TransitionFailed, sent after the GPU's status already tells the outcome. */
    void announceFailure(PciAddress gpu, GpuPassException error) {
        GpuStatus status = statuses.get(gpu);
        if (status != null) {
            listeners.forEach(l -> notify(() -> l.transitionFailed(status, error)));
        }
    }

    /**
     * Who a change of this GPU is for (StateChanged's {@code holder}): the claimant while
     * {@code claiming}, the holder being released while {@code releasing}, else the {@code Holder}
     * property: the claimant once {@code vfio}, {@code ""} back on the host or for a GPU nobody holds.
     */
    private static String changeHolder(GpuStatus after, Overlay overlay) {
        return overlay != null && overlay.gpu().equals(after.address()) && overlay.state() == after.state()
                ? overlay.holder() : after.holder();
    }

    private GpuStatus statusOf(HostSnapshot snap, PciDevice gpu, ClaimBook.View claims, Overlay overlay,
                               GpuStatus previous) {
        PciAddress a = gpu.address();
        List<PciDevice> functions = snap.functionsOf(gpu);
        ClaimRecord claim = claims.claims().get(a);
        GpuState state = claims.stuck().contains(a) ? GpuState.STUCK
                : overlay != null && overlay.gpu().equals(a) ? overlay.state() : GpuAssessor.sysfsState(functions);
        String hostDriver = claim != null ? claim.hostDrivers().getOrDefault(a, "")
                : gpu.driver().equals(GpuAssessor.VFIO_DRIVER) ? "" : gpu.driver();
        String holder = claim == null ? "" : claim.holder();
        List<String> blockers = blockersOf(snap, gpu, state, holder);
        boolean claimable = blockers.isEmpty()
                && (state == GpuState.HOST || state == GpuState.VFIO || state == GpuState.UNBOUND
                || state == GpuState.MIXED);
        long since = previous == null ? (claim != null ? claim.sinceMicros() : Clock.nowMicros())
                : previous.state() == state ? previous.sinceMicros() : Clock.nowMicros();
        return new GpuStatus(a, gpu.displayName(), gpu.vendorId(), gpu.deviceId(), state, gpu.driver(), hostDriver,
                functions.stream().map(PciDevice::address).toList(), gpu.iommuGroup(), gpu.bootVga(), claimable,
                blockers, holder, since, claims.lastErrors().getOrDefault(a, ""));
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

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("a listener failed: {}", e.toString());
        }
    }
}
