package org.gpupass.bus.wire;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Log lines that callers can cause (refusals), at most {@code perWindow} per window; the lines left
 * out are counted and the count is logged when the window ends, so a flood costs a few lines and the
 * journal still says how large it was.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long windowNanos;
    private final int perWindow;
    private final ScheduledExecutorService timer;
    private long windowStart = System.nanoTime();
    private int logged;
    private long suppressed;
    private Level suppressedLevel = Level.INFO;

    /** @param timer says the count when a window ends with no further line; null: on the next line only */
    public RateLimitedLog(Logger log, Duration window, int perWindow, ScheduledExecutorService timer) {
        this.log = log;
        this.windowNanos = window.toNanos();
        this.perWindow = perWindow;
        this.timer = timer;
    }

    public void info(String format, Object... args) {
        log(Level.INFO, format, args);
    }

    public void warn(String format, Object... args) {
        log(Level.WARN, format, args);
    }

    private synchronized void log(Level level, String format, Object... args) {
        long now = System.nanoTime();
        rollOver(now);
        if (logged < perWindow) {
            logged++;
            log.atLevel(level).log(format, args);
            return;
        }
        if (suppressed++ == 0 && timer != null) {
            timer.schedule(this::flush, windowNanos - (now - windowStart), TimeUnit.NANOSECONDS);
        }
        if (level.toInt() > suppressedLevel.toInt()) {
            suppressedLevel = level;
        }
    }

    /** Logs the count of lines left out once their window has ended. */
    public synchronized void flush() {
        rollOver(System.nanoTime());
    }

    /** Lines left out in the current window. */
    synchronized long suppressed() {
        return suppressed;
    }

    private void rollOver(long now) {
        if (now - windowStart < windowNanos) {
            return;
        }
        if (suppressed > 0) {
            log.atLevel(suppressedLevel).log("... and {} more such line(s) not logged (at most {} per {} s)",
                    suppressed, perWindow, Math.max(1, windowNanos / 1_000_000_000L));
        }
        windowStart = now;
        logged = 0;
        suppressed = 0;
        suppressedLevel = Level.INFO;
    }
}
