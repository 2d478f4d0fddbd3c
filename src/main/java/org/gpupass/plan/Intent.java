package org.gpupass.plan;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gpupass.host.Framebuffer;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/**
 * The write-ahead record of a running transition: written before its first step and removed
 * after its last (or after its rollback). Found at start-up, it means the daemon died mid-way.
 * One record type per operation, so every field means one thing; the file format is the same for
 * both ({@link StateStore}).
 */
public sealed interface Intent {

    /** The operation, as the state file spells it. */
    enum Operation {
        CLAIM("claim"), RELEASE("release");

        private final String word;

        Operation(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }

        /** The operation a state file names, or null. */
        public static Operation of(String word) {
            for (Operation o : values()) {
                if (o.word.equals(word)) {
                    return o;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return word;
        }
    }

    Operation operation();

    PciAddress gpu();

    /** The claimant, or the holder being released ({@code ""}: an adopted GPU). */
    String holder();

    /** Every function the transition moves, the GPU first. */
    List<PciAddress> functions();

    long startedMicros();

    /**
     * A claim under way.
     *
     * @param driversBefore  each function's driver before it (a function with none is absent)
     * @param unitsStopped   units the plan stops
     * @param unitsToRestore of those, the ones only a Release starts again
     * @param unloadedModules  modules the plan unloads, in unload order
     * @param unboundConsoles  virtual consoles the plan unbinds, in order
     * @param unboundFramebuffers firmware framebuffers the plan unbinds, in order
     */
    record Claiming(PciAddress gpu, String holder, List<PciAddress> functions, Map<PciAddress, String> driversBefore,
                    List<String> unitsStopped, List<String> unitsToRestore, List<String> unloadedModules,
                    List<String> unboundConsoles, List<Framebuffer> unboundFramebuffers, long startedMicros)
            implements Intent {
        public Claiming {
            functions = List.copyOf(functions);
            driversBefore = Map.copyOf(new TreeMap<>(driversBefore));
            unitsStopped = List.copyOf(unitsStopped);
            unitsToRestore = List.copyOf(unitsToRestore);
            unloadedModules = List.copyOf(unloadedModules);
            unboundConsoles = List.copyOf(unboundConsoles);
            unboundFramebuffers = List.copyOf(unboundFramebuffers);
        }

        /** The intent of a claim that runs {@code plan} on these functions (as the snapshot shows them). */
        public static Claiming of(PciAddress gpu, String holder, List<PciDevice> functions, Plan plan, long nowMicros) {
            Map<PciAddress, String> before = new TreeMap<>();
            functions.stream().filter(PciDevice::hasDriver).forEach(f -> before.put(f.address(), f.driver()));
            List<String> stopped = plan.steps().stream().filter(s -> s instanceof Step.StopUnit)
                    .map(s -> ((Step.StopUnit) s).unit()).toList();
            return new Claiming(gpu, holder, functions.stream().map(PciDevice::address).toList(), before, stopped,
                    plan.unitsToRestore(), plan.unloadedModules(), plan.unboundConsoles(), plan.unboundFramebuffers(),
                    nowMicros);
        }

        @Override
        public Operation operation() {
            return Operation.CLAIM;
        }

        /** The claim this intent records once it completed. */
        public ClaimRecord asClaim(long sinceMicros) {
            return new ClaimRecord(gpu, holder, sinceMicros, driversBefore, unitsToRestore, unloadedModules,
                    unboundConsoles, unboundFramebuffers);
        }
    }

    /**
     * A release under way: it undoes what the claim recorded.
     *
     * @param hostDrivers         the drivers to return the functions to (absent: whatever the kernel probes)
     * @param unitsToRestore      units the claim stopped that the release starts again
     * @param unloadedModules     modules the claim unloaded, in unload order (loaded again in reverse)
     * @param unboundConsoles     virtual consoles the claim unbound, to bind again
     * @param unboundFramebuffers firmware framebuffers the claim unbound, to bind again
     */
    record Releasing(PciAddress gpu, String holder, List<PciAddress> functions, Map<PciAddress, String> hostDrivers,
                     List<String> unitsToRestore, List<String> unloadedModules, List<String> unboundConsoles,
                     List<Framebuffer> unboundFramebuffers, long startedMicros) implements Intent {
        public Releasing {
            functions = List.copyOf(functions);
            hostDrivers = Map.copyOf(new TreeMap<>(hostDrivers));
            unitsToRestore = List.copyOf(unitsToRestore);
            unloadedModules = List.copyOf(unloadedModules);
            unboundConsoles = List.copyOf(unboundConsoles);
            unboundFramebuffers = List.copyOf(unboundFramebuffers);
        }

        /** The intent of the release of {@code claim}, moving these functions. */
        public static Releasing of(ClaimRecord claim, List<PciAddress> functions, long nowMicros) {
            return new Releasing(claim.gpu(), claim.holder(), functions, claim.hostDrivers(), claim.unitsToRestore(),
                    claim.unloadedModules(), claim.unboundConsoles(), claim.unboundFramebuffers(), nowMicros);
        }

        @Override
        public Operation operation() {
            return Operation.RELEASE;
        }
    }
}
