package org.gpupass.bus.wire;

import java.nio.channels.SocketChannel;

/** A daemon wire over one end of a socket pair, without dbus-java: its wire, writer and reader. */
final class TestWire {
    final DaemonWire wire;
    final GatheringMessageWriter writer;
    final BufferedMessageReader reader;

    private TestWire(SocketChannel channel, MessageLimits limits, int bufferBytes) {
        wire = new DaemonWire(limits, null);
        writer = new GatheringMessageWriter(channel, wire);
        wire.attach(writer);
        reader = new BufferedMessageReader(channel, writer, wire, bufferBytes);
        wire.attach(reader);
    }

    /** No limits, the reader's usual buffer. */
    static TestWire on(SocketChannel channel) {
        return on(channel, MessageLimits.uniform(Long.MAX_VALUE), BufferedMessageReader.BUFFER_BYTES);
    }

    static TestWire on(SocketChannel channel, MessageLimits limits, int bufferBytes) {
        return new TestWire(channel, limits, bufferBytes);
    }
}
