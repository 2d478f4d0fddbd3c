package org.gpupass.host.linux;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.gpupass.host.UnitControl;

/** A UnitControl that records what was asked. */
final class RecordingUnits implements UnitControl {
    final Set<String> active = new HashSet<>();
    final List<String> calls = new ArrayList<>();

    @Override
    public boolean isActive(String unit) {
        return active.contains(unit);
    }

    @Override
    public void stop(String unit) {
        calls.add("stop " + unit);
        active.remove(unit);
    }

    @Override
    public void start(String unit) {
        calls.add("start " + unit);
        active.add(unit);
    }
}
