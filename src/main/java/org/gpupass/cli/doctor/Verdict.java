package org.gpupass.cli.doctor;

/** A check's outcome. Only {@link #FAIL} makes {@code gpupassctl doctor} exit 1. */
public enum Verdict {
    OK("ok"), INFO("info"), WARN("warn"), FAIL("fail");

    private final String word;

    Verdict(String word) {
        this.word = word;
    }

    /** The word in the JSON output. */
    public String word() {
        return word;
    }
}
