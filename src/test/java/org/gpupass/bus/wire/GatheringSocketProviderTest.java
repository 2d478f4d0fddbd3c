package org.gpupass.bus.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.freedesktop.dbus.spi.message.ISocketProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatheringSocketProviderTest {
    @TempDir
    Path dir;

    @Test
    void dbusJavaFindsItFirst() {
        ISocketProvider first = ServiceLoader.load(ISocketProvider.class).findFirst().orElseThrow();
        assertEquals(GatheringSocketProvider.class, first.getClass());
        assertFalse(first.isFileDescriptorPassingSupported());
    }

    /** Every chunk up to the first null arrives, in order, and nothing after it. */
    @Test
    void writesAllChunksOfAMessage() throws Exception {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(address);
            try (SocketChannel client = SocketChannel.open(address); SocketChannel peer = server.accept()) {
                byte[][] wire = {"head".getBytes(), new byte[70_000], "tail".getBytes(), null, "never".getBytes()};
                wire[1][69_999] = 7;
                Message message = new Message() {
                    @Override
                    public byte[][] getWireData() {
                        return wire;
                    }
                };
                IMessageWriter writer = new GatheringSocketProvider().createWriter(client);
                Thread send = new Thread(() -> {
                    try {
                        writer.writeMessage(message);
                        client.shutdownOutput();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                send.start();
                ByteBuffer got = ByteBuffer.allocate(80_000);
                while (peer.read(got) >= 0) {
                    assertTrue(got.hasRemaining(), "more than was sent");
                }
                send.join();
                assertEquals(4 + 70_000 + 4, got.position());
                assertEquals(7, got.get(4 + 69_999));
                assertEquals("tail", new String(got.array(), 70_004, 4));
                assertFalse(writer.isClosed());
                writer.close();
                assertTrue(writer.isClosed());
            }
        }
    }
}
