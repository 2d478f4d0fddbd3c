package org.gpupass.core;

import java.util.ArrayList;
import java.util.List;
import org.gpupass.model.GpuPassException;

/** Records what a GpuManager announces, in order. */
class RecordingListener implements GpuListener {
    final List<String> changes = new ArrayList<>();
    final List<String> holders = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    final List<String> transitions = new ArrayList<>();

    @Override
    public synchronized void gpuChanged(GpuStatus before, GpuStatus after, String holder) {
        if (before.state() != after.state()) {
            changes.add(after.address() + " " + before.state() + "->" + after.state());
            holders.add(before.state() + "->" + after.state() + " '" + holder + "'");
        }
    }

    @Override
    public synchronized void transitionFailed(GpuStatus gpu, GpuPassException error) {
        failures.add(gpu.address() + " " + org.gpupass1.Error.nameOf(error.kind()));
    }

    @Override
    public synchronized void transitionChanged(String text) {
        transitions.add(text);
    }

    synchronized List<String> stateChanges() {
        return List.copyOf(changes);
    }

    /** Each state change with the holder it is for, e.g. {@code host->claiming 'win11'}. */
    synchronized List<String> stateChangeHolders() {
        return List.copyOf(holders);
    }
}
