package org.gpupass.host;

/**
 * A process that has a device node open.
 *
 * @param unit the systemd unit from its cgroup, "" when none is known
 */
public record NodeHolder(int pid, String command, int uid, String unit, String node) {

    /** {@code pid 1234 (Xorg, uid 0, sddm.service) holds /dev/dri/card1}. */
    public String describe() {
        String where = unit.isEmpty() ? "" : ", " + unit;
        return "pid " + pid + " (" + command + ", uid " + uid + where + ") holds " + node;
    }
}
