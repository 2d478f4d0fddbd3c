package org.gpupass.plan;

import java.util.List;
import java.util.Optional;
import org.gpupass.config.Config;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.model.Printable;

/**
 * The rules of Claim and Release in one place: (host snapshot, claim state, configuration, request)
 * → {@link Decision}. Pure; evaluated once, under the transition lock, on a snapshot read there.
 * The orders of the transitions themselves are the {@link Planner}'s.
 */
public final class Decisions {
    private Decisions() {
    }

    /** The claim state of one GPU as the manager holds it: its record (or null) and whether it is fenced. */
    public record ClaimState(ClaimRecord claim, boolean stuck) {
        static final ClaimState NONE = new ClaimState(null, false);

        /** The recorded holder, "" for none or an adopted GPU. */
        String holder() {
            return claim == null ? "" : claim.holder();
        }
    }

    /**
     * Claim of {@code address} for {@code holder}: refused when the GPU is gone, fenced or held by
     * another; done when held by this holder; adopted when on vfio-pci already; blocked by what
     * {@link GpuAssessor} finds; else the planner's transition.
     */
    public static Decision claim(HostSnapshot snap, Config config, PciAddress address, ClaimState state,
                                 String holder, long nowMicros) {
        Optional<PciDevice> found = managedGpu(snap, config, address);
        Decision.Refuse absent = goneOrFenced(found, address, state);
        if (absent != null) {
            return absent;
        }
        if (!state.holder().isEmpty()) {
            return state.holder().equals(holder) ? new Decision.Done()
                    : new Decision.Refuse(alreadyClaimed(address, state.holder()));
        }
        PciDevice gpu = found.get();
        List<PciDevice> functions = snap.functionsOf(gpu);
        if (GpuAssessor.sysfsState(functions) == GpuState.VFIO) {
            ClaimRecord base = state.claim() != null ? state.claim() : ClaimRecord.adopted(address, nowMicros);
            return new Decision.Adopt(base.withHolder(holder, nowMicros));
        }
        Plan plan;
        try {
            plan = Planner.claim(snap, gpu, config);
        } catch (GpuPassException refused) {
            return new Decision.Block(refused);
        }
        return new Decision.Run(plan, Intent.Claiming.of(address, holder, functions, plan, nowMicros));
    }

    /**
     * Release of {@code address} by {@code holder} ({@code ""} forces): refused when the GPU is
     * gone, fenced or held by another; done (or the claim forgotten) when no function is on
     * vfio-pci; blocked while a VM holds /dev/vfio/N; else the planner's transition back to the
     * recorded host drivers (an adopted GPU's: whatever the kernel probes).
     */
    public static Decision release(HostSnapshot snap, Config config, PciAddress address, ClaimState state,
                                   String holder, long nowMicros) {
        Optional<PciDevice> found = managedGpu(snap, config, address);
        Decision.Refuse absent = goneOrFenced(found, address, state);
        if (absent != null) {
            return absent;
        }
        if (!holder.isEmpty() && state.claim() != null && !state.holder().equals(holder)) {
            return new Decision.Refuse(notHolder(address, state.holder(), holder));
        }
        PciDevice gpu = found.get();
        List<PciDevice> functions = snap.functionsOf(gpu);
        if (functions.stream().noneMatch(f -> f.driver().equals(GpuAssessor.VFIO_DRIVER))) {
            return state.claim() != null ? new Decision.Forget("it is already back on its host drivers")
                    : new Decision.Done();
        }
        ClaimRecord claim = state.claim() != null ? state.claim() : ClaimRecord.adopted(address, nowMicros);
        Plan plan;
        try {
            plan = Planner.release(snap, gpu, claim);
        } catch (GpuPassException refused) {
            return new Decision.Block(refused);
        }
        return new Decision.Run(plan, Intent.Releasing.of(claim, addresses(functions), nowMicros));
    }

    static GpuPassException alreadyClaimed(PciAddress gpu, String holder) {
        return new GpuPassException(ErrorKind.ALREADY_CLAIMED, gpu + " is already claimed by " + holder);
    }

    static GpuPassException notHolder(PciAddress gpu, String recorded, String caller) {
        String who = recorded.isEmpty() ? "nobody (it was found on vfio-pci)" : recorded;
        return new GpuPassException(ErrorKind.NOT_HOLDER, gpu + " is held by " + who + ", not by "
                + Printable.clip(caller) + " (holder \"\" forces the release)");
    }

    /** Stuck: a kernel write hung; {@code what} says which. */
    public static GpuPassException fenced(PciAddress gpu, String what) {
        return new GpuPassException(ErrorKind.STUCK, what + "; " + gpu + " is fenced until a reboot or a "
                + "remove+rescan of the device");
    }

    /** The refusals Claim and Release share, checked first: the GPU is not there (or not managed), or fenced. */
    private static Decision.Refuse goneOrFenced(Optional<PciDevice> found, PciAddress address, ClaimState state) {
        if (found.isEmpty()) {
            return new Decision.Refuse(gone(address));
        }
        if (state.stuck()) {
            return new Decision.Refuse(fenced(address, "a kernel write for " + address + " hung earlier"));
        }
        return null;
    }

    private static GpuPassException gone(PciAddress gpu) {
        return new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "GPU " + gpu + " is gone");
    }

    private static Optional<PciDevice> managedGpu(HostSnapshot snap, Config config, PciAddress address) {
        return snap.gpus(config).stream().filter(d -> d.address().equals(address)).findFirst();
    }

    private static List<PciAddress> addresses(List<PciDevice> devices) {
        return devices.stream().map(PciDevice::address).toList();
    }
}
