package org.gpupass.bus.wire;

import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.spi.message.IMessageReader;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.freedesktop.dbus.spi.message.ISocketProvider;

/**
 * dbus-java's socket provider, found through ServiceLoader before the built-in one, but serving only
 * the connections the daemon builds through {@link DaemonWire#connect}: for any other connection in the
 * process (gpupassctl's, a test client's) it makes nothing and dbus-java uses its own reader and writer.
 * For the daemon's it makes {@link BufferedMessageReader} (one read(2) hands out every whole message,
 * size limits before allocation, the wire's own routing) and {@link GatheringMessageWriter} (one
 * write(2) per message, standard error names). No file-descriptor passing, as the built-in one.
 *
 * <p>dbus-java 5.2.0 loads a new provider per transport and asks it for a reader, then a writer, on the
 * thread that builds the connection; {@code GatheringSocketProviderTest} pins that.
 */
public final class GatheringSocketProvider implements ISocketProvider {
    private static final ThreadLocal<DaemonWire> ARMED = new ThreadLocal<>();

    /** A connection build that may throw. */
    interface Build<T> {
        T build() throws DBusException;
    }

    /** Runs {@code build} with the provider serving {@code wire} on this thread. */
    static <T> T armed(DaemonWire wire, Build<T> build) throws DBusException {
        DaemonWire before = ARMED.get();
        ARMED.set(wire);
        try {
            return build.build();
        } finally {
            if (before == null) {
                ARMED.remove();
            } else {
                ARMED.set(before);
            }
        }
    }

    /** dbus-java asks one provider for a reader and a writer per socket: both share one writer. */
    private GatheringMessageWriter writer;

    @Override
    public synchronized IMessageReader createReader(SocketChannel socket) {
        DaemonWire wire = ARMED.get();
        if (wire == null) {
            return null;
        }
        BufferedMessageReader reader = new BufferedMessageReader(socket, writerFor(socket, wire), wire);
        wire.attach(reader);
        return reader;
    }

    @Override
    public synchronized IMessageWriter createWriter(SocketChannel socket) {
        DaemonWire wire = ARMED.get();
        return wire == null ? null : writerFor(socket, wire);
    }

    /** One writer per socket: the reader writes its replies through dbus-java's writer, under its lock. */
    private GatheringMessageWriter writerFor(SocketChannel socket, DaemonWire wire) {
        if (writer == null || writer.channel() != socket) {
            writer = new GatheringMessageWriter(socket, wire);
            wire.attach(writer);
        }
        return writer;
    }

    @Override
    public void setFileDescriptorSupport(boolean support) {
        // gpupassd passes no file descriptors.
    }

    @Override
    public boolean isFileDescriptorPassingSupported() {
        return false;
    }
}
