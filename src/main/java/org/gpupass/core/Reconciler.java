package org.gpupass.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.gpupass.host.Host;
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
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Host host;
    private final Config config;
    private final StateStore store;
    private final Executor executor;
    private final Map<PciAddress, ClaimRecord> claims;
    private final Set<PciAddress> stuck;

    Reconciler(Host host, Config config, StateStore store, Executor executor, Map<PciAddress, ClaimRecord> claims,
               Set<PciAddress> stuck) {
        this.host = host;
        this.config = config;
        this.store = store;
        this.executor = executor;
        this.claims = claims;
        this.stuck = stuck;
    }

    void run() throws IOException {
        claims.putAll(store.loadClaims());
        HostSnapshot snap = HostSnapshot.read(host, config);
        for (PciAddress gpu : store.stuckGpus()) {
            GpuState state = stateOf(snap, gpu);
            if (state == GpuState.HOST || state == GpuState.VFIO) {
                store.clearStuck(gpu);
                LOG.info("{} was fenced after a hung write and is settled now ({}): unfenced", gpu, state);
            } else {
                stuck.add(gpu);
                LOG.warn("{} stays fenced: a kernel write hung earlier and sysfs shows it {}", gpu, state);
            }
        }
        Optional<Intent> intent = store.loadIntent();
        if (intent.isPresent() && !stuck.contains(intent.get().gpu())) {
            resume(snap, intent.get());
            snap = HostSnapshot.read(host, config);
        }
        for (ClaimRecord claim : List.copyOf(claims.values())) {
            GpuState state = stateOf(snap, claim.gpu());
            if (state == null || state == GpuState.HOST) {
                claims.remove(claim.gpu());
                store.deleteClaim(claim.gpu());
                LOG.info("claim of {} by '{}' dropped: the GPU is {}", claim.gpu(), claim.holder(),
                        state == null ? "gone" : "back on its host drivers");
            }
        }
        for (PciDevice gpu : snap.gpus(config)) {
            if (!claims.containsKey(gpu.address()) && stateOf(snap, gpu.address()) == GpuState.VFIO) {
                ClaimRecord adopted = ClaimRecord.adopted(gpu.address(), GpuManager.nowMicros());
                claims.put(gpu.address(), adopted);
                LOG.info("{} is on vfio-pci with no claim: adopted (holder \"\")", gpu.address());
                try {
                    store.saveClaim(adopted);
                } catch (IOException e) {
                    // It names no holder, so sysfs alone gives it again at the next start: not worth a failed start.
                    LOG.warn("cannot record the adoption of {} ({}); it is adopted again at the next start",
                            gpu.address(), e.getMessage());
                }
            }
        }
    }

    private void resume(HostSnapshot snap, Intent intent) throws IOException {
        GpuState state = stateOf(snap, intent.gpu());
        List<Step> steps = new ArrayList<>();
        String what;
        if (intent.operation().equals(Intent.CLAIM) && state == GpuState.VFIO) {
            ClaimRecord claim = intent.asClaim(intent.startedMicros());
            claims.put(claim.gpu(), claim);
            store.saveClaim(claim);
            for (String unit : intent.unitsStopped()) {
                if (!intent.unitsToRestore().contains(unit) && Planner.restartable(unit)) {
                    steps.add(new Step.StartUnit(unit));
                }
            }
            what = "the interrupted claim of " + intent.gpu() + " for '" + intent.holder() + "' had finished: kept";
        } else if (intent.operation().equals(Intent.CLAIM)) {
            List<Step> undone = new ArrayList<>();
            intent.unitsStopped().forEach(u -> undone.add(new Step.StopUnit(u)));
            intent.consoles().forEach(c -> undone.add(new Step.UnbindConsole(c)));
            intent.framebuffers().forEach(f -> undone.add(new Step.UnbindFramebuffer(f.driver(), f.device())));
            intent.modules().forEach(m -> undone.add(new Step.UnloadModule(m)));
            steps.addAll(Planner.rollbackClaim(snap, intent.functions(), intent.drivers(), undone));
            what = "the interrupted claim of " + intent.gpu() + " for '" + intent.holder() + "' was rolled back";
        } else {
            List<String> reload = new ArrayList<>(intent.modules());
            java.util.Collections.reverse(reload);
            List<PciDevice> present = intent.functions().stream().map(snap::device).flatMap(Optional::stream).toList();
            steps.addAll(Planner.moveToHost(snap, present, intent.drivers(), reload));
            steps.addAll(Planner.rebind(snap, intent.consoles(), intent.framebuffers()));
            intent.unitsStopped().forEach(u -> steps.add(new Step.StartUnit(u)));
            claims.remove(intent.gpu());
            store.deleteClaim(intent.gpu());
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
                stuck.add(intent.gpu());
                store.markStuck(intent.gpu(), "reconcile: " + e.where());
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
