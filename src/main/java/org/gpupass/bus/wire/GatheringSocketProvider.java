package org.gpupass.bus.wire;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.spi.message.IMessageReader;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.freedesktop.dbus.spi.message.ISocketProvider;
import org.freedesktop.dbus.spi.message.InputStreamMessageReader;

/**
 * dbus-java's socket provider for gpupassd and gpupassctl, found through ServiceLoader before the
 * built-in one. It differs only in the writer: dbus-java 5.2.0's writes every marshalled chunk of a
 * message with its own write(2) (about 50 for a Status reply); {@link GatheringMessageWriter} sends
 * the whole message with one gathering write. No file-descriptor passing, as the built-in one.
 */
public final class GatheringSocketProvider implements ISocketProvider {

    @Override
    public IMessageReader createReader(SocketChannel socket) throws IOException {
        return new InputStreamMessageReader(socket);
    }

    @Override
    public IMessageWriter createWriter(SocketChannel socket) throws IOException {
        return new GatheringMessageWriter(socket);
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
