package org.gpupass.core;

import org.gpupass.model.GpuPassException;

/**
 * Receives changes after they happened, in order, on the thread that made them.
 * Implementations must not block.
 */
public interface GpuListener {

    /**
     * Some property of a GPU changed; {@code before.state() != after.state()} is a state change.
     *
     * @param holder who the change is for (StateChanged's {@code holder}): the claimant while
     *               {@code claiming} and once {@code vfio}, the holder being released while
     *               {@code releasing}, {@code ""} when no holder is involved. Unlike
     *               {@code after.holder()} (the {@code Holder} property, {@code ""} until the claim is
     *               made), it names the claimant during the claim.
     */
    void gpuChanged(GpuStatus before, GpuStatus after, String holder);

    /** A GPU appeared (after) or disappeared (before) — a hot-plug, or a remove+rescan. */
    default void gpuSetChanged() {
    }

    /** A Claim or Release failed; sent after the GPU's state already tells the outcome. */
    void transitionFailed(GpuStatus gpu, GpuPassException error);

    /** The manager's {@code Transition} text changed ("" when idle). */
    void transitionChanged(String text);
}
