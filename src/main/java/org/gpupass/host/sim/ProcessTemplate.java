package org.gpupass.host.sim;

import java.util.List;

/**
 * A process a unit starts (or one that runs outside any unit), and what it opens when it starts.
 *
 * @param unit  the systemd unit, {@code ""} for none
 * @param opens PCI addresses (all that device's nodes at that moment) and /dev paths
 */
record ProcessTemplate(String command, int uid, String unit, List<String> opens) {
    ProcessTemplate {
        opens = List.copyOf(opens);
    }
}
