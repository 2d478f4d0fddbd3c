package org.gpupass.core;

import java.util.List;
import org.gpupass.model.PciAddress;

/**
 * What a Claim or Release would do now, without doing it: the same decision and the same steps
 * the daemon would run (the {@link org.gpupass.plan.Decisions} and the planner on a fresh snapshot).
 *
 * @param outcome {@code transition} (the steps), {@code none} (nothing to do: already so),
 *                {@code adopt} (a claim of a GPU already on vfio-pci: recorded, no step) or
 *                {@code forget} (a release of a GPU already on its host drivers: the claim dropped)
 * @param steps   the steps in order, as the daemon's log names them; empty unless a transition
 */
public record TransitionPreview(PciAddress gpu, String outcome, List<String> steps) {
    public TransitionPreview {
        steps = List.copyOf(steps);
    }
}
