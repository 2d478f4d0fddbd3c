package org.gpupass.bus.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodReturn;
import org.freedesktop.dbus.spi.message.IMessageWriter;

/**
 * Writes each D-Bus message with one write(2). dbus-java 5.2.0's writer makes one per marshalled
 * chunk (about 50 for a Status reply). The chunks are copied into one direct buffer kept by the
 * writer: a gathering write of heap arrays would have the JDK copy each into a temporary direct
 * buffer of its own. A message larger than the buffer goes out as a gathering write. Error replies with
 * dbus-java's Java names go out under the standard names ({@link StandardErrors}).
 */
final class GatheringMessageWriter extends SocketEnd implements IMessageWriter {
    static final int BUFFER_BYTES = 16 * 1024;

    private final ByteBuffer buffer;
    private final DaemonWire wire;

    GatheringMessageWriter(SocketChannel channel) {
        this(channel, null);
    }

    /** @param wire told of every reply written (may be null) */
    GatheringMessageWriter(SocketChannel channel, DaemonWire wire) {
        this(channel, wire, BUFFER_BYTES);
    }

    GatheringMessageWriter(SocketChannel channel, DaemonWire wire, int bufferBytes) {
        super(channel);
        this.wire = wire;
        this.buffer = ByteBuffer.allocateDirect(bufferBytes);
    }

    SocketChannel channel() {
        return channel;
    }

    /** Called by dbus-java's sender thread and, for {@link FastReplies}, the reader thread. */
    @Override
    public synchronized void writeMessage(Message message) throws IOException {
        if (message == null || message.getWireData() == null) {
            return;
        }
        if (this.wire != null && (message instanceof MethodReturn || message instanceof Error)) {
            this.wire.answered(message.getDestination(), message.getReplySerial());
        }
        byte[][] wire = StandardErrors.standardized(message).getWireData();
        int count = 0;
        long length = 0;
        while (count < wire.length && wire[count] != null) {
            length += wire[count++].length;
        }
        if (length <= buffer.capacity()) {
            buffer.clear();
            for (int i = 0; i < count; i++) {
                buffer.put(wire[i]);
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            return;
        }
        ByteBuffer[] chunks = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            chunks[i] = ByteBuffer.wrap(wire[i]);
        }
        while (length > 0) {
            length -= channel.write(chunks);
        }
    }
}
