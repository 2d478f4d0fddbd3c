package org.gpupass.cli.doctor;

import java.io.IOException;
import org.gpupass.host.UnitControl;

/**
 * The systemd side for offline tools: every unit reads as inactive (they never ask the bus) and
 * stopping or starting one is refused, so a tool holding it cannot change the host by mistake.
 */
public final class ReadOnlyUnits implements UnitControl {
    @Override
    public boolean isActive(String unit) {
        return false;
    }

    @Override
    public void stop(String unit) throws IOException {
        throw new IOException("read-only: refusing to stop " + unit);
    }

    @Override
    public void start(String unit) throws IOException {
        throw new IOException("read-only: refusing to start " + unit);
    }
}
