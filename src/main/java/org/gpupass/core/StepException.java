package org.gpupass.core;

import org.gpupass.model.ErrorKind;
import org.gpupass.plan.Step;

/** A step that failed (the kernel refused, or a wait ran out) or hung past its deadline. */
public final class StepException extends Exception {
    private final Step step;
    private final int index;
    private final int total;
    private final boolean hung;
    private final ErrorKind kind;

    StepException(Step step, int index, int total, boolean hung, ErrorKind kind, String detail) {
        super(detail);
        this.step = step;
        this.index = index;
        this.total = total;
        this.hung = hung;
        this.kind = kind;
    }

    public boolean hung() {
        return hung;
    }

    /** TransitionFailed for a refused write; InUse when holders would not let go; Stuck for a hang. */
    public ErrorKind kind() {
        return kind;
    }

    /** {@code step 4/9 (unbind 0000:01:00.0 from nvidia): /sys/...: EBUSY (Device or resource busy)}. */
    public String where() {
        return "step " + index + "/" + total + " (" + step.describe() + "): " + getMessage();
    }
}
