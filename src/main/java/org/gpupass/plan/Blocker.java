package org.gpupass.plan;

import org.gpupass.model.ErrorKind;

/** One reason a GPU cannot be claimed now: the error a Claim would get, and a sentence for people. */
public record Blocker(ErrorKind kind, String sentence) {
}
