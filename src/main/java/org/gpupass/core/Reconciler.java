package org.gpupass.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gpupass.config.Config;
import org.gpupass.host.Host;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.GpuAssessor;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.plan.Intent;
import org.gpupass.plan.Planner;
import org.gpupass.plan.Step;
import org.gpupass.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: makes the state directory agree with sysfs. sysfs is the truth; the records say what
 * we meant. Rules (docs/state.md):
 * <ul>
 * <li>An interrupted claim whose functions are all on vfio-pci is kept as a claim; otherwise it is
 *     rolled back to the drivers it started from.</li>
 * <li>An interrupted release is finished: the GPU goes back to its host drivers (consoles and
 *     framebuffers bound again, units started), the claim is dropped.</li>
 * <li>A claim whose GPU is back on its host drivers, or gone, is dropped (logged).</li>
 * <li>A GPU on vfio-pci with no claim is adopted (holder "").</li>
 * <li>A GPU fenced after a hung write stays fenced until sysfs shows it settled (host or vfio).</li>
 * </ul>
 * Every change of claim state goes through the {@link ClaimBook}; the steps come from the {@link Planner}.
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Host host;
    private final Config config;
    private final StateStore store;
    private final Executor executor;
    private final ClaimBook book;

    Reconciler(Host host, Config config, StateStore store, Executor executor, ClaimBook book) {
        this.host = host;
        this.config = config;
        this.store = store;
        this.executor = executor;
        this.book = book;
    }

    void run() throws IOException {
        book.load();
        HostSnapshot snap = HostSnapshot.read(host, config);
        for (PciAddress gpu : book.fencedOnDisk()) {
            GpuState state = stateOf(snap, gpu);
            if (state == GpuState.HOST || state == GpuState.VFIO) {
                book.unfence(gpu);
                LOG.info("{} was fenced after a hung write and is settled now ({}): unfenced", gpu, state);
            } else {
                book.keepFenced(gpu);
                LOG.warn("{} stays fenced: a kernel write hung earlier and sysfs shows it {}", gpu, state);
            }
        }
        Optional<Intent> intent = store.loadIntent();
        if (intent.isPresent() && !book.stateOf(intent.get().gpu()).stuck()) {
            resume(snap, intent.get());
            snap = HostSnapshot.read(host, config);
        }
        for (ClaimRecord claim : book.view().claims().values()) {
            GpuState state = stateOf(snap, claim.gpu());
            if (state == null || state == GpuState.HOST) {
                book.release(claim.gpu());
                LOG.info("claim of {} by '{}' dropped: the GPU is {}", claim.gpu(), claim.holder(),
                        state == null ? "gone" : "back on its host drivers");
            }
        }
        for (PciDevice gpu : snap.gpus(config)) {
            if (book.claim(gpu.address()).isEmpty() && stateOf(snap, gpu.address()) == GpuState.VFIO) {
                LOG.info("{} is on vfio-pci with no claim: adopted (holder \"\")", gpu.address());
                book.adopt(ClaimRecord.adopted(gpu.address(), Clock.nowMicros()));
            }
        }
    }

    private void resume(HostSnapshot snap, Intent intent) throws IOException {
        List<Step> steps;
        String what;
        if (intent instanceof Intent.Claiming claim && stateOf(snap, intent.gpu()) == GpuState.VFIO) {
            book.record(claim.asClaim(claim.startedMicros()));
            steps = Planner.resumeClaim(claim);
            what = "the interrupted claim of " + intent.gpu() + " for '" + intent.holder() + "' had finished: kept";
        } else if (intent instanceof Intent.Claiming claim) {
            steps = Planner.undoInterruptedClaim(snap, claim);
            what = "the interrupted claim of " + intent.gpu() + " for '" + intent.holder() + "' was rolled back";
        } else {
            steps = Planner.finishInterruptedRelease(snap, (Intent.Releasing) intent);
            book.release(intent.gpu());
            what = "the interrupted release of " + intent.gpu() + " was finished";
        }
        List<Step> done = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try {
            executor.run(steps, "reconcile", done, warnings);
            store.clearIntent();
            LOG.warn("{} ({} steps{})", what, steps.size(), warnings.isEmpty() ? "" : "; " + String.join("; ", warnings));
        } catch (StepException e) {
            if (e.hung()) {
                book.fence(intent.gpu(), "reconcile: " + e.where());
            }
            LOG.error("reconciling the interrupted {} of {} failed at {}; the intent is kept for the next start",
                    intent.operation(), intent.gpu(), e.where());
        }
    }

    private GpuState stateOf(HostSnapshot snap, PciAddress gpu) {
        Optional<PciDevice> device = snap.device(gpu);
        return device.map(d -> GpuAssessor.sysfsState(snap.functionsOf(d))).orElse(null);
    }
}
