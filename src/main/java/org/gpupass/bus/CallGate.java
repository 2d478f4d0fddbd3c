package org.gpupass.bus;

import java.util.concurrent.Semaphore;
import org.gpupass1.Error;

/**
 * Keeps calls that may wait for minutes (Claim, Release, ...) from taking every thread of the bus
 * library's method-call pool: at most {@code slots} run at once, one more gets {@code Busy} at once, and
 * the pool's other threads stay free for Status, Get, GetAll and Introspect.
 *
 * <p>dbus-java 5.2.0 has no way for an exported method to reply later, so a waiting call holds a thread.
 */
final class CallGate {
    /** Work that may throw the wire's error replies. */
    interface Work<T> {
        T run();
    }

    private final Semaphore slots;
    private final int size;

    CallGate(int size) {
        this.size = size;
        this.slots = new Semaphore(size);
    }

    <T> T run(Work<T> work) {
        if (!slots.tryAcquire()) {
            throw new Error.Busy(size + " calls that move GPUs are already waiting; try again when they are done");
        }
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }
}
