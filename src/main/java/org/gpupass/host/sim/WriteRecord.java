package org.gpupass.host.sim;

/**
 * One mutating call on a {@link SimulatedKernel}, in call order.
 *
 * @param seq     1-based position among all mutating calls
 * @param thread  the calling thread's name
 * @param target  the device address, module or unit name, vtcon or framebuffer device; {@code ""} for a rescan
 * @param value   the driver written (override, bind, unbind) or written to (framebuffer ops), else {@code ""}
 * @param outcome {@code ok}, an errno name such as {@code ENODEV}, {@code hung} while the call is blocked,
 *                then {@code hung then ok}, {@code hung then EIO}, {@code hung then interrupted}, ...
 */
public record WriteRecord(long seq, String thread, SimulatedKernel.Op op, String target, String value,
                          String outcome) {

    /** Whether the call returned normally without having hung. */
    public boolean ok() {
        return outcome.equals("ok");
    }

    @Override
    public String toString() {
        String what = value.isEmpty() ? target : target + " " + value;
        return "#" + seq + " [" + thread + "] " + op + " " + what + " -> " + outcome;
    }
}
