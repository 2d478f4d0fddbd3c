package org.gpupass.host;

import java.io.IOException;

/** systemd unit control, the part of the host port that lives on a bus rather than in sysfs. */
public interface UnitControl {

    boolean isActive(String unit) throws IOException;

    /** Stops the unit and waits for its job to finish. */
    void stop(String unit) throws IOException;

    /** Starts the unit and waits for its job to finish. */
    void start(String unit) throws IOException;
}
