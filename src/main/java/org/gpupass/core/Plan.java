package org.gpupass.core;

import java.util.List;

/**
 * The ordered steps of one transition and what a later Release must undo.
 *
 * @param unitsToRestore  units this plan stops and does not start again itself: started on Release
 * @param unloadedModules modules this plan unloads, in unload order: loaded again on Release
 */
public record Plan(List<Step> steps, List<String> unitsToRestore, List<String> unloadedModules) {
    public Plan {
        steps = List.copyOf(steps);
        unitsToRestore = List.copyOf(unitsToRestore);
        unloadedModules = List.copyOf(unloadedModules);
    }

    public List<String> describe() {
        return steps.stream().map(Step::describe).toList();
    }
}
