package org.gpupass.model;

/** The spec's state words for a GPU (property {@code State}). */
public enum GpuState {
    /** Every function on a host driver (a companion may be unbound). */
    HOST("host"),
    /** Every function on vfio-pci. */
    VFIO("vfio"),
    /** The GPU function has no driver. */
    UNBOUND("unbound"),
    CLAIMING("claiming"),
    RELEASING("releasing"),
    /** Outside a transition, the functions disagree. */
    MIXED("mixed"),
    /** A kernel write did not return in time; fenced until an operator acts. */
    STUCK("stuck");

    private final String word;

    GpuState(String word) {
        this.word = word;
    }

    public String word() {
        return word;
    }

    @Override
    public String toString() {
        return word;
    }
}
