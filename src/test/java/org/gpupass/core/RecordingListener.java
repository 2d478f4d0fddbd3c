package org.gpupass.core;

import java.util.ArrayList;
import java.util.List;

/** Records what a GpuManager announces, in order. */
final class RecordingListener implements GpuListener {
    final List<String> changes = new ArrayList<>();
    /** Each state change with the holder it is announced for: {@code claiming>vfio:win11}. */
    final List<String> holders = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    final List<String> transitions = new ArrayList<>();

    @Override
    public synchronized void gpuChanged(GpuStatus before, GpuStatus after) {
        if (before.state() != after.state()) {
            changes.add(after.address() + " " + before.state() + "->" + after.state());
            holders.add(before.state().word() + ">" + after.state().word() + ":" + after.holder());
        }
    }

    @Override
    public synchronized void transitionFailed(GpuStatus gpu, GpuPassException error) {
        failures.add(gpu.address() + " " + error.kind().dbusName());
    }

    @Override
    public synchronized void transitionChanged(String text) {
        transitions.add(text);
    }

    synchronized List<String> stateChanges() {
        return List.copyOf(changes);
    }
}
