package org.gpupass.plan;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gpupass.host.Framebuffer;
import org.gpupass.model.PciAddress;

/**
 * A claim as remembered in the state directory, so Release undoes exactly what Claim did.
 *
 * @param hostDrivers         each function's driver before the claim; a function with none is absent
 * @param unitsToRestore      units the claim stopped that Release starts again
 * @param unloadedModules     modules the claim unloaded, in unload order
 * @param unboundConsoles     virtual consoles the claim unbound ({@code unbind_consoles}), in unbind order
 * @param unboundFramebuffers firmware framebuffers the claim unbound, in unbind order
 */
public record ClaimRecord(PciAddress gpu, String holder, long sinceMicros, Map<PciAddress, String> hostDrivers,
                          List<String> unitsToRestore, List<String> unloadedModules, List<String> unboundConsoles,
                          List<Framebuffer> unboundFramebuffers) {
    public ClaimRecord {
        hostDrivers = Map.copyOf(new TreeMap<>(hostDrivers));
        unitsToRestore = List.copyOf(unitsToRestore);
        unloadedModules = List.copyOf(unloadedModules);
        unboundConsoles = List.copyOf(unboundConsoles);
        unboundFramebuffers = List.copyOf(unboundFramebuffers);
    }

    /** A claim that unbound no console or framebuffer. */
    public ClaimRecord(PciAddress gpu, String holder, long sinceMicros, Map<PciAddress, String> hostDrivers,
                       List<String> unitsToRestore, List<String> unloadedModules) {
        this(gpu, holder, sinceMicros, hostDrivers, unitsToRestore, unloadedModules, List.of(), List.of());
    }

    /** A GPU found on vfio-pci that nobody claimed through us: held by nobody, host drivers unknown. */
    public static ClaimRecord adopted(PciAddress gpu, long sinceMicros) {
        return new ClaimRecord(gpu, "", sinceMicros, Map.of(), List.of(), List.of());
    }

    public ClaimRecord withHolder(String newHolder, long since) {
        return new ClaimRecord(gpu, newHolder, since, hostDrivers, unitsToRestore, unloadedModules, unboundConsoles,
                unboundFramebuffers);
    }
}
