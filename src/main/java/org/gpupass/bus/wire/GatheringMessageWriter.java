package org.gpupass.bus.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.spi.message.IMessageWriter;

/** Writes each D-Bus message with one gathering write (writev) instead of one write per chunk. */
final class GatheringMessageWriter implements IMessageWriter {
    private final SocketChannel channel;

    GatheringMessageWriter(SocketChannel channel) {
        this.channel = channel;
    }

    @Override
    public void writeMessage(Message message) throws IOException {
        if (message == null || message.getWireData() == null) {
            return;
        }
        byte[][] wire = message.getWireData();
        int count = 0;
        while (count < wire.length && wire[count] != null) {
            count++;
        }
        ByteBuffer[] buffers = new ByteBuffer[count];
        long remaining = 0;
        for (int i = 0; i < count; i++) {
            buffers[i] = ByteBuffer.wrap(wire[i]);
            remaining += wire[i].length;
        }
        // One writer thread per connection calls this, so partial writes cannot interleave.
        while (remaining > 0) {
            remaining -= channel.write(buffers);
        }
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.close();
        }
    }
}
