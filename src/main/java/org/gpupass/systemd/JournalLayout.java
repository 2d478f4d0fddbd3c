package org.gpupass.systemd;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * One log line per event. Under systemd ({@code JOURNAL_STREAM} set) a {@code <N>} syslog priority prefix
 * and no timestamp, since journald adds its own; otherwise {@code 12:34:56.789 INFO  logger: message}.
 */
public final class JournalLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());
    private final boolean journal;

    public JournalLayout() {
        this(System.getenv("JOURNAL_STREAM") != null);
    }

    JournalLayout(boolean journal) {
        this.journal = journal;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(128);
        if (journal) {
            line.append('<').append(priority(event.getLevel())).append('>');
        } else {
            line.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ')
                    .append(String.format("%-5s ", event.getLevel()));
        }
        String logger = event.getLoggerName();
        line.append(logger.substring(logger.lastIndexOf('.') + 1)).append(": ")
                .append(event.getFormattedMessage().replace('\n', ' '));
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            // One line per stack frame; under journald each keeps the event's priority.
            String prefix = journal ? "\n<" + priority(event.getLevel()) + ">  " : "\n  ";
            line.append(prefix).append(ThrowableProxyUtil.asString(thrown).replace("\n", prefix).stripTrailing());
        }
        return line.append('\n').toString();
    }

    /** syslog priorities: 3 err, 4 warning, 6 info, 7 debug. */
    static int priority(Level level) {
        if (level.isGreaterOrEqual(Level.ERROR)) {
            return 3;
        }
        if (level.isGreaterOrEqual(Level.WARN)) {
            return 4;
        }
        return level.isGreaterOrEqual(Level.INFO) ? 6 : 7;
    }
}
