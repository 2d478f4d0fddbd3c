package org.gpupass.plan;

import org.gpupass.model.GpuPassException;

/**
 * What a Claim or a Release comes to, decided from one snapshot of the host and of the claim state
 * ({@link Decisions}). The manager carries it out; only {@link Run} touches the kernel.
 */
public sealed interface Decision {

    /** Nothing to do: the GPU already is where the caller wants it (an idempotent call). */
    record Done() implements Decision {
    }

    /** Record the claim without a transition: the GPU is on vfio-pci already. */
    record Adopt(ClaimRecord claim) implements Decision {
    }

    /** Forget the claim without a transition: the GPU is back on its host drivers already. */
    record Forget(String why) implements Decision {
    }

    /** Refused before anything is tried (unknown, gone, fenced, held by another); no LastError. */
    record Refuse(GpuPassException error) implements Decision {
    }

    /**
     * Refused because the host is not fit for it now (IOMMU off, foreign group member, boot display,
     * holders, a VM using it): reported like a failed transition, with LastError and TransitionFailed.
     */
    record Block(GpuPassException error) implements Decision {
    }

    /** A transition: the plan, and the write-ahead record of what it is about to do. */
    record Run(Plan plan, Intent intent) implements Decision {
    }
}
