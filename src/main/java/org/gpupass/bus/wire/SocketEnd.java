package org.gpupass.bus.wire;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * What {@link BufferedMessageReader} and {@link GatheringMessageWriter} share: the connection's one
 * socket. Whichever of the two is closed first closes it; the other then reads as closed too, and
 * closing it is a no-op.
 */
abstract class SocketEnd {
    final SocketChannel channel;

    SocketEnd(SocketChannel channel) {
        this.channel = channel;
    }

    public boolean isClosed() {
        return !channel.isOpen();
    }

    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.close();
        }
    }
}
