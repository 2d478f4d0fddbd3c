package org.gpupass.core;

/** One reason a GPU cannot be claimed now: the error a Claim would get, and a sentence for people. */
public record Blocker(ErrorKind kind, String sentence) {
}
