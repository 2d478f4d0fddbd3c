package org.gpupass.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.gpupass.host.Framebuffer;

/**
 * What a claim did, besides moving the functions, that its rollback undoes: units to start again
 * and modules to load again (both in reverse order), consoles and framebuffers to bind again (in
 * the order they were unbound; {@link Planner#rebind} reverses them).
 */
record ClaimUndo(List<String> unitsToStart, List<String> modulesToLoad, List<String> consoles,
                 List<Framebuffer> framebuffers) {
    ClaimUndo {
        unitsToStart = List.copyOf(unitsToStart);
        modulesToLoad = List.copyOf(modulesToLoad);
        consoles = List.copyOf(consoles);
        framebuffers = List.copyOf(framebuffers);
    }

    /** From the steps a failed claim completed: a unit started again later in the plan needs no restart. */
    static ClaimUndo of(List<Step> done) {
        List<String> reload = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        List<String> consoles = new ArrayList<>();
        List<Framebuffer> framebuffers = new ArrayList<>();
        for (Step step : done) {
            if (step instanceof Step.UnbindConsole c) {
                consoles.add(c.vtcon());
            } else if (step instanceof Step.UnbindFramebuffer f) {
                framebuffers.add(new Framebuffer(f.device(), f.driver()));
            } else if (step instanceof Step.UnloadModule u) {
                reload.add(0, u.module());
            } else if (step instanceof Step.StopUnit s && Planner.restartable(s.unit())) {
                restart.add(0, s.unit());
            } else if (step instanceof Step.StartUnit s) {
                restart.remove(s.unit());
            }
        }
        return new ClaimUndo(restart, reload, consoles, framebuffers);
    }

    /**
     * From an interrupted claim's intent, found at start-up: where it stopped is unknown, so
     * everything it meant to do is undone (a step it never reached is skipped by the planner, which
     * reads what is bound and loaded now).
     */
    static ClaimUndo of(Intent.Claiming claim) {
        List<String> restart = new ArrayList<>(claim.unitsStopped().stream().filter(Planner::restartable).toList());
        Collections.reverse(restart);
        List<String> reload = new ArrayList<>(claim.unloadedModules());
        Collections.reverse(reload);
        return new ClaimUndo(restart, reload, claim.unboundConsoles(), claim.unboundFramebuffers());
    }
}
