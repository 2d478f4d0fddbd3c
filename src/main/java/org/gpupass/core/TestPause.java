package org.gpupass.core;

import org.gpupass.plan.Step;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A test-only pause point: with {@code GPUPASSD_TEST_PAUSE_AFTER_STEP=N} in the environment, every
 * transition stops after its N-th step and waits there until the process is killed, so the
 * real-kernel suite can kill -9 the daemon mid-transition. Unset (always, in production) it does nothing.
 */
final class TestPause implements Executor.StepObserver {
    private static final Logger LOG = LoggerFactory.getLogger(TestPause.class);
    static final String VARIABLE = "GPUPASSD_TEST_PAUSE_AFTER_STEP";

    private final int afterStep;

    private TestPause(int afterStep) {
        this.afterStep = afterStep;
    }

    static Executor.StepObserver fromEnvironment() {
        String value = System.getenv(VARIABLE);
        if (value == null || value.isBlank()) {
            return (index, step) -> { };
        }
        try {
            return new TestPause(Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            LOG.warn("{}={} is not a number; ignored", VARIABLE, value);
            return (index, step) -> { };
        }
    }

    @Override
    public void afterStep(int index, Step step) {
        if (index != afterStep) {
            return;
        }
        LOG.warn("{}: paused after step {} ({}) until killed", VARIABLE, index, step.describe());
        Object forever = new Object();
        synchronized (forever) {
            while (true) {
                try {
                    forever.wait();
                } catch (InterruptedException e) {
                    // Only a kill ends this pause.
                }
            }
        }
    }
}
