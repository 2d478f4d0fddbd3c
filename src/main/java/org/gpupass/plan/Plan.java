package org.gpupass.plan;

import java.util.List;
import org.gpupass.host.Framebuffer;

/**
 * The ordered steps of one transition and what a later Release must undo.
 *
 * @param unitsToRestore      units this plan stops and does not start again itself: started on Release
 * @param unloadedModules     modules this plan unloads, in unload order: loaded again on Release
 * @param unboundConsoles     virtual consoles this plan unbinds, in order: bound again on Release
 * @param unboundFramebuffers firmware framebuffers this plan unbinds, in order: bound again on Release
 */
public record Plan(List<Step> steps, List<String> unitsToRestore, List<String> unloadedModules,
                   List<String> unboundConsoles, List<Framebuffer> unboundFramebuffers) {
    public Plan {
        steps = List.copyOf(steps);
        unitsToRestore = List.copyOf(unitsToRestore);
        unloadedModules = List.copyOf(unloadedModules);
        unboundConsoles = List.copyOf(unboundConsoles);
        unboundFramebuffers = List.copyOf(unboundFramebuffers);
    }

    /** A plan that unbinds no console or framebuffer. */
    public Plan(List<Step> steps, List<String> unitsToRestore, List<String> unloadedModules) {
        this(steps, unitsToRestore, unloadedModules, List.of(), List.of());
    }

    public List<String> describe() {
        return steps.stream().map(Step::describe).toList();
    }
}
