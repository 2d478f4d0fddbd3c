package org.gpupass.core;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.Decisions;
import org.gpupass.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of claim state: who holds which GPU, which GPUs are fenced after a hung write, and
 * each GPU's last error. Every change goes through here, under this object's lock, and a claim or a
 * release counts only once the state directory has it ({@link #record}, {@link #release}).
 */
final class ClaimBook {
    private static final Logger LOG = LoggerFactory.getLogger(ClaimBook.class);

    /** What the model shows of the claim state at one moment. */
    record View(Map<PciAddress, ClaimRecord> claims, Set<PciAddress> stuck, Map<PciAddress, String> lastErrors) {
        View {
            claims = Map.copyOf(claims);
            stuck = Set.copyOf(stuck);
            lastErrors = Map.copyOf(lastErrors);
        }
    }

    private final StateStore store;
    private final Map<PciAddress, ClaimRecord> claims = new HashMap<>();
    private final Set<PciAddress> stuck = new HashSet<>();
    private final Map<PciAddress, String> lastErrors = new HashMap<>();
    private volatile View view = new View(Map.of(), Set.of(), Map.of());

    ClaimBook(StateStore store) {
        this.store = store;
    }

    // ---- reads (lock-free: the last published view)

    View view() {
        return view;
    }

    Optional<ClaimRecord> claim(PciAddress gpu) {
        return Optional.ofNullable(view.claims().get(gpu));
    }

    /** The claim and fence of one GPU, read together, for {@link Decisions}. */
    Decisions.ClaimState stateOf(PciAddress gpu) {
        View v = view;
        return new Decisions.ClaimState(v.claims().get(gpu), v.stuck().contains(gpu));
    }

    /** The GPUs {@code holder} holds, by address. */
    List<PciAddress> heldBy(String holder) {
        return view.claims().values().stream().filter(c -> c.holder().equals(holder)).map(ClaimRecord::gpu)
                .sorted().toList();
    }

    // ---- changes

    /** Loads the claims on disk (start-up, before the reconciler looks at them). */
    synchronized void load() throws IOException {
        claims.putAll(store.loadClaims());
        publish();
    }

    /** Makes a claim: on disk first, so a claim that cannot be recorded is not made. */
    synchronized void record(ClaimRecord claim) throws IOException {
        store.saveClaim(claim);
        claims.put(claim.gpu(), claim);
        publish();
    }

    /** Ends a claim: off the disk first, else a restart would bring the holder back. */
    synchronized void release(PciAddress gpu) throws IOException {
        store.deleteClaim(gpu);
        claims.remove(gpu);
        publish();
    }

    /** A GPU found on vfio-pci with no claim: held by nobody; a failure to record it is only logged (sysfs says it again). */
    synchronized void adopt(ClaimRecord adopted) {
        claims.put(adopted.gpu(), adopted);
        publish();
        try {
            store.saveClaim(adopted);
        } catch (IOException e) {
            LOG.warn("cannot record the adoption of {} ({}); it is adopted again at the next start",
                    adopted.gpu(), e.getMessage());
        }
    }

    /** A claim that sysfs shows void (the GPU is on its host drivers, or gone): dropped whether or not the disk agrees. */
    synchronized void forget(PciAddress gpu, String why) {
        if (claims.remove(gpu) == null) {
            return;
        }
        publish();
        try {
            store.deleteClaim(gpu);
        } catch (IOException e) {
            LOG.error("cannot remove the claim of {} from the state directory: {}", gpu, e.getMessage());
        }
        if (why != null) {
            LOG.info("claim of {} dropped: {}", gpu, why);
        }
    }

    /** Fences a GPU after a hung write: the daemon refuses every transition of it until it settles. */
    synchronized GpuPassException fence(PciAddress gpu, String what) {
        stuck.add(gpu);
        publish();
        try {
            store.markStuck(gpu, what);
        } catch (IOException e) {
            LOG.warn("cannot record that {} is stuck: {}", gpu, e.getMessage());
        }
        return Decisions.fenced(gpu, what);
    }

    /** Start-up: a GPU fenced by an earlier process that still is not settled. */
    synchronized void keepFenced(PciAddress gpu) {
        stuck.add(gpu);
        publish();
    }

    /** Start-up: a GPU fenced by an earlier process that sysfs shows settled now. */
    synchronized void unfence(PciAddress gpu) throws IOException {
        store.clearStuck(gpu);
        stuck.remove(gpu);
        publish();
    }

    /** The GPUs an earlier process fenced, as the state directory lists them. */
    List<PciAddress> fencedOnDisk() throws IOException {
        return store.stuckGpus();
    }

    /** {@code ""} clears it. */
    synchronized void setLastError(PciAddress gpu, String message) {
        if (message.isEmpty()) {
            lastErrors.remove(gpu);
        } else {
            lastErrors.put(gpu, message);
        }
        publish();
    }

    private void publish() {
        view = new View(claims, stuck, lastErrors);
    }
}
