package org.gpupass.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class JournalLayoutTest {
    private static LoggingEvent event(Level level, String message, Throwable thrown) {
        LoggerContext context = new LoggerContext();
        return new LoggingEvent("x", context.getLogger("org.gpupass.core.GpuManager"), level, message, thrown, null);
    }

    @Test
    void under_journald_each_line_has_a_priority_prefix_and_no_time() {
        JournalLayout layout = new JournalLayout(true);
        assertEquals("<6>GpuManager: claim ok\n", layout.doLayout(event(Level.INFO, "claim ok", null)));
        assertEquals("<4>GpuManager: w\n", layout.doLayout(event(Level.WARN, "w", null)));
        assertEquals("<7>GpuManager: d\n", layout.doLayout(event(Level.DEBUG, "d", null)));
        String error = layout.doLayout(event(Level.ERROR, "two\nlines", new IllegalStateException("boom")));
        assertTrue(error.startsWith("<3>GpuManager: two lines\n<3>  java.lang.IllegalStateException: boom"), error);
        error.lines().forEach(line -> assertTrue(line.startsWith("<3>"), line));
    }

    @Test
    void in_a_terminal_lines_are_readable_with_the_time() {
        String line = new JournalLayout(false).doLayout(event(Level.INFO, "hello", null));
        assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  GpuManager: hello\n"), line);
    }
}
