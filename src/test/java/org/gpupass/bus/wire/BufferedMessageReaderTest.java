package org.gpupass.bus.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.spi.message.InputStreamMessageReader;
import org.freedesktop.dbus.exceptions.MessageProtocolVersionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader against dbus-java's own marshalling, over a real Unix socket pair. */
class BufferedMessageReaderTest {
    @TempDir
    Path dir;

    private SocketPair socket;
    private SocketChannel sending;
    private SocketChannel receiving;

    @BeforeEach
    void connect() throws IOException {
        socket = SocketPair.open(dir.resolve("s"));
        sending = socket.client();
        receiving = socket.server();
    }

    @AfterEach
    void close() throws IOException {
        socket.close();
    }

    private BufferedMessageReader reader(int bufferBytes) {
        return new BufferedMessageReader(receiving, new GatheringMessageWriter(receiving), bufferBytes);
    }

    private static MethodCall call(byte endian, String member, Object... args) throws Exception {
        String signature = args.length == 0 ? null : "s".repeat(args.length);
        return new MessageFactory(endian).createMethodCall(":1.7", "org.gpupass1", "/org/gpupass1",
                "org.gpupass1.Manager", member, (byte) 0, signature, args);
    }

    private static byte[] wire(Message message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] chunk : message.getWireData()) {
            if (chunk == null) {
                break;
            }
            out.write(chunk);
        }
        return out.toByteArray();
    }

    private void send(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            sending.write(buffer);
        }
    }

    /** Reads until a message comes (null means: not whole yet, call again). */
    private static Message next(BufferedMessageReader reader) throws Exception {
        for (int i = 0; i < 1_000_000; i++) {
            Message message = reader.readMessage();
            if (message != null) {
                return message;
            }
        }
        throw new AssertionError("no message");
    }

    /** What dbus-java's own reader makes of the same bytes: the oracle. */
    private Message viaDbusJava(Message sent) throws Exception {
        try (SocketPair oracle = SocketPair.open(dir.resolve("oracle"))) {
            Thread writer = new Thread(() -> {
                try {
                    ByteBuffer bytes = ByteBuffer.wrap(wire(sent));
                    while (bytes.hasRemaining()) {
                        oracle.client().write(bytes);
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            writer.start();
            InputStreamMessageReader reader = new InputStreamMessageReader(oracle.server());
            Message message;
            do {
                message = reader.readMessage();
            } while (message == null);
            writer.join();
            return message;
        }
    }

    private void assertSameMessage(MethodCall sent, Message got) throws Exception {
        Message expected = viaDbusJava(sent);
        assertInstanceOf(MethodCall.class, got);
        assertArrayEquals(expected.getWireData(), got.getWireData());
        assertEquals(sent.getSerial(), got.getSerial());
        assertEquals(sent.getName(), got.getName());
        assertEquals(sent.getSig(), got.getSig());
        assertArrayEquals(expected.getParameters(), got.getParameters());
    }

    @Test
    void manyMessagesFromOneWriteEachComeWhole() throws Exception {
        List<MethodCall> sent = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 50; i++) {
            MethodCall call = i % 2 == 0 ? call(Endian.LITTLE, "Status") : call(Endian.BIG, "Claim", "0000:01:00.0", "vm" + i);
            sent.add(call);
            all.write(wire(call));
        }
        send(all.toByteArray());
        BufferedMessageReader reader = reader(BufferedMessageReader.BUFFER_BYTES);
        for (MethodCall call : sent) {
            assertSameMessage(call, next(reader));
        }
    }

    @Test
    void aMessageTricklingInByteByByteComesWholeOnce() throws Exception {
        MethodCall call = call(Endian.LITTLE, "Release", "0000:01:00.0", "win11");
        byte[] bytes = wire(call);
        BufferedMessageReader reader = reader(BufferedMessageReader.BUFFER_BYTES);
        for (int i = 0; i < bytes.length - 1; i++) {
            send(new byte[] {bytes[i]});
            assertNull(reader.readMessage(), "a message after " + (i + 1) + " of " + bytes.length + " bytes");
        }
        send(new byte[] {bytes[bytes.length - 1]});
        assertSameMessage(call, next(reader));
    }

    @Test
    void messagesLargerThanTheBufferAreReadIntoTheirOwnArrays() throws Exception {
        MethodCall small = call(Endian.LITTLE, "Status");
        MethodCall large = call(Endian.LITTLE, "ClaimDomain", "x".repeat(100_000));
        MethodCall after = call(Endian.BIG, "Status");
        Thread writer = new Thread(() -> {
            try {
                send(wire(small));
                send(wire(large));
                send(wire(after));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        writer.start();
        BufferedMessageReader reader = reader(256);
        assertSameMessage(small, next(reader));
        assertSameMessage(large, next(reader));
        assertSameMessage(after, next(reader));
        writer.join();
    }

    /** The sender thread and the reader (for fast replies) write through one writer: messages never interleave. */
    @Test
    void twoThreadsWritingThroughOneWriterNeverInterleave() throws Exception {
        GatheringMessageWriter writer = new GatheringMessageWriter(sending);
        int each = 400;
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            String member = t == 0 ? "Claim" : "Release";
            threads[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < each; i++) {
                        writer.writeMessage(call(i % 2 == 0 ? Endian.LITTLE : Endian.BIG, member, "x".repeat(3_000 + i)));
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            threads[t].start();
        }
        BufferedMessageReader reader = reader(BufferedMessageReader.BUFFER_BYTES);
        int[] seen = new int[2];
        for (int i = 0; i < 2 * each; i++) {
            Message got = next(reader);
            int t = got.getName().equals("Claim") ? 0 : 1;
            assertEquals("x".repeat(3_000 + seen[t]), got.getParameters()[0], got.getName() + " #" + seen[t]);
            seen[t]++;
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    @Test
    void endOfStreamBetweenMessagesIsEof() throws Exception {
        send(wire(call(Endian.LITTLE, "Status")));
        sending.shutdownOutput();
        BufferedMessageReader reader = reader(BufferedMessageReader.BUFFER_BYTES);
        next(reader);
        assertThrows(EOFException.class, reader::readMessage);
    }

    @Test
    void endOfStreamInsideALargeMessageIsEof() throws Exception {
        byte[] bytes = wire(call(Endian.LITTLE, "ClaimDomain", "x".repeat(5_000)));
        send(java.util.Arrays.copyOf(bytes, 3_000));
        sending.shutdownOutput();
        BufferedMessageReader reader = reader(1_024);
        assertThrows(EOFException.class, () -> next(reader));
    }

    @Test
    void aBadEndiannessByteOrProtocolVersionIsRefused() throws Exception {
        byte[] bytes = wire(call(Endian.LITTLE, "Status"));
        bytes[0] = 'x';
        send(bytes);
        IOException endianness = assertThrows(IOException.class, () -> reader(BufferedMessageReader.BUFFER_BYTES).readMessage());
        assertTrue(endianness.getMessage().contains("endianness"), endianness.getMessage());
    }

    @Test
    void aNewerProtocolVersionIsRefused() throws Exception {
        byte[] bytes = wire(call(Endian.LITTLE, "Status"));
        bytes[3] = 2;
        send(bytes);
        assertThrows(MessageProtocolVersionException.class, () -> reader(BufferedMessageReader.BUFFER_BYTES).readMessage());
    }

    @Test
    void aLengthBeyondTheProtocolLimitIsRefusedBeforeAnyAllocation() throws Exception {
        byte[] bytes = wire(call(Endian.LITTLE, "Status"));
        ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, Integer.MAX_VALUE);
        send(bytes);
        IOException tooLong = assertThrows(IOException.class, () -> reader(BufferedMessageReader.BUFFER_BYTES).readMessage());
        assertTrue(tooLong.getMessage().contains("bytes"), tooLong.getMessage());
    }
}
