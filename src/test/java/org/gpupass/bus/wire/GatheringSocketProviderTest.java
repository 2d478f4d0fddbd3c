package org.gpupass.bus.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
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

    /** The reader's own replies and dbus-java's messages go through one writer, whichever is asked first. */
    @Test
    void readerAndWriterOfASocketShareOneWriter() throws Exception {
        try (SocketPair one = SocketPair.open(dir.resolve("one")); SocketPair two = SocketPair.open(dir.resolve("two"))) {
            GatheringSocketProvider provider = new GatheringSocketProvider();
            DaemonWire wire = new DaemonWire(MessageLimits.uniform(MessageLimits.SMALL), null);
            GatheringSocketProvider.armed(wire, () -> {
                IMessageWriter writerFirst = provider.createWriter(one.client());
                BufferedMessageReader reader = (BufferedMessageReader) provider.createReader(one.client());
                assertSame(writerFirst, reader.writer());
                BufferedMessageReader readerFirst = (BufferedMessageReader) provider.createReader(two.client());
                assertSame(readerFirst.writer(), provider.createWriter(two.client()));
                assertNotSame(writerFirst, readerFirst.writer());
                return null;
            });
        }
    }

    /** Any connection not built through a DaemonWire (gpupassctl's, a client's) keeps dbus-java's own I/O. */
    @Test
    void makesNothingForAConnectionThatIsNotTheDaemons() throws Exception {
        try (SocketPair one = SocketPair.open(dir.resolve("one"))) {
            GatheringSocketProvider provider = new GatheringSocketProvider();
            assertNull(provider.createReader(one.client()));
            assertNull(provider.createWriter(one.client()));
        }
    }

    /** Every chunk up to the first null arrives, in order, and nothing after it; twice, as the buffer is reused. */
    @Test
    void writesAllChunksOfAMessageThatFitsTheBuffer() throws Exception {
        assertWritten(new byte[][] {"head".getBytes(), pattern(1_000), "tail".getBytes(), null, "never".getBytes()});
    }

    @Test
    void writesAllChunksOfAMessageLargerThanTheBuffer() throws Exception {
        assertWritten(new byte[][] {"head".getBytes(), pattern(70_000), "tail".getBytes(), null, "never".getBytes()});
    }

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        return bytes;
    }

    private void assertWritten(byte[][] wire) throws Exception {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 2; i++) {
            for (byte[] chunk : wire) {
                if (chunk == null) {
                    break;
                }
                expected.write(chunk);
            }
        }
        Message message = new Message() {
            @Override
            public byte[][] getWireData() {
                return wire;
            }
        };
        try (SocketPair socket = SocketPair.open(dir.resolve("s"))) {
            IMessageWriter writer = new GatheringMessageWriter(socket.client());
            Thread send = new Thread(() -> {
                try {
                    writer.writeMessage(message);
                    writer.writeMessage(message);
                    socket.client().shutdownOutput();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            send.start();
            ByteBuffer got = ByteBuffer.allocate(expected.size() + 1);
            while (socket.server().read(got) >= 0) {
                assertTrue(got.hasRemaining(), "more than was sent");
            }
            send.join();
            assertArrayEquals(expected.toByteArray(), Arrays.copyOf(got.array(), got.position()));
            assertFalse(writer.isClosed());
            writer.close();
            assertTrue(writer.isClosed());
        }
    }
}
