package org.gpupass.bus.wire;

import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.spi.message.IMessageReader;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.freedesktop.dbus.spi.message.ISocketProvider;

/**
 * dbus-java's socket provider for gpupassd and gpupassctl, found through ServiceLoader before the
 * built-in one. It differs in the system calls: dbus-java 5.2.0 makes one write(2) per marshalled
 * chunk of a message (about 50 for a Status reply) and four read(2) per message received;
 * {@link GatheringMessageWriter} sends a message with one write and {@link BufferedMessageReader}
 * hands out every message a read brought in, answering the calls registered with {@link FastReplies}
 * itself. No file-descriptor passing, as the built-in one.
 */
public final class GatheringSocketProvider implements ISocketProvider {

    /** dbus-java asks one provider for a reader and a writer per socket; both get the same writer. */
    private GatheringMessageWriter writer;

    @Override
    public synchronized IMessageReader createReader(SocketChannel socket) {
        return new BufferedMessageReader(socket, writerFor(socket));
    }

    @Override
    public synchronized IMessageWriter createWriter(SocketChannel socket) {
        return writerFor(socket);
    }

    /** One writer per socket: the reader writes fast replies through dbus-java's writer, under its lock. */
    private GatheringMessageWriter writerFor(SocketChannel socket) {
        if (writer == null || writer.channel() != socket) {
            writer = new GatheringMessageWriter(socket);
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
