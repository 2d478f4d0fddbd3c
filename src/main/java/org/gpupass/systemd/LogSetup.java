package org.gpupass.systemd;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * gpupassd's logging, set up in code rather than from a logback.xml: one stderr appender with
 * {@link JournalLayout} (journald {@code <N>} prefixes under systemd, readable lines otherwise), INFO by
 * default, dbus-java at WARN. Found by logback through {@code META-INF/services}.
 *
 * <p>Reading an XML file costs the daemon about 150 ms of CPU at every start and 4-5 MiB of resident
 * memory (logback's Joran and the JDK's XML parser), measured on JDK 17. Levels:
 * {@code -Dgpupass.log.level=DEBUG} or {@code GPUPASS_LOG_LEVEL=DEBUG}. A full logback configuration
 * still works: with {@code -Dlogback.configurationFile=FILE} this class steps aside.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements ch.qos.logback.classic.spi.Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        JournalLayout layout = new JournalLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level());
        root.addAppender(stderr);
        context.getLogger("org.freedesktop").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** {@code gpupass.log.level}, else {@code GPUPASS_LOG_LEVEL}, else INFO. */
    static Level level() {
        String wanted = System.getProperty("gpupass.log.level");
        if (wanted == null) {
            wanted = System.getenv("GPUPASS_LOG_LEVEL");
        }
        return Level.toLevel(wanted, Level.INFO);
    }
}
