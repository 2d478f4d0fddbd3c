package org.gpupass.model;

import java.util.concurrent.ThreadFactory;

/** The daemon's own threads: named for logs, thread dumps and {@code top -H}, and daemon threads. */
public final class Threads {
    private Threads() {
    }

    /**
     * Daemon threads named {@code name}: none of them keeps the JVM alive, main decides when the
     * process ends (a stop request, or the bus going away).
     */
    public static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
