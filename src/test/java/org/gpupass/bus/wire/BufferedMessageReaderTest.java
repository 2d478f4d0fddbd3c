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
        return reader(bufferBytes, MessageLimits.uniform(Long.MAX_VALUE));
    }

    private BufferedMessageReader reader(int bufferBytes, MessageLimits limits) {
        return TestWire.on(receiving, limits, bufferBytes).reader;
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

    // ---- limits: decided from the header, before the body is read -------------------------------------

    /** ClaimDomain may bring 200,000 bytes, any other call 4,096, a signal 1,024. */
    private static final MessageLimits LIMITS = h -> h.isMethodCall()
            ? ("ClaimDomain".equals(h.member()) ? 200_000 : 4_096) : h.isSignal() ? 1_024 : 65_536;

    /** The next message the sending side reads back (a reply the reader wrote), or null when there is none yet. */
    private Message replyOn(BufferedMessageReader back) throws Exception {
        sending.configureBlocking(false);
        try {
            return back.readMessage();
        } finally {
            sending.configureBlocking(true);
        }
    }

    private void sendInBackground(Message... messages) throws Exception {
        Thread writer = new Thread(() -> {
            try {
                for (Message m : messages) {
                    send(wire(m));
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        writer.setDaemon(true);
        writer.start();
    }

    @Test
    void aCallOverItsLimitIsReadPastAnsweredWithLimitsExceededAndTheNextComesWhole() throws Exception {
        MethodCall big = call(Endian.LITTLE, "Claim", "x".repeat(100_000), "vm");
        MethodCall domain = call(Endian.BIG, "ClaimDomain", "win11", "y".repeat(150_000));
        MethodCall after = call(Endian.LITTLE, "Status");
        sendInBackground(big, domain, after);
        BufferedMessageReader reader = reader(256, LIMITS);
        assertSameMessage(domain, next(reader));
        assertSameMessage(after, next(reader));
        BufferedMessageReader back = TestWire.on(sending).reader;
        Message refusal = replyOn(back);
        assertInstanceOf(org.freedesktop.dbus.messages.Error.class, refusal);
        assertEquals("org.freedesktop.DBus.Error.LimitsExceeded", refusal.getName());
        assertEquals(big.getSerial(), refusal.getReplySerial());
        assertEquals(":1.7", refusal.getDestination());
        String text = (String) refusal.getParameters()[0];
        assertTrue(text.contains("org.gpupass1.Manager.Claim") && text.contains("4096"), text);
        assertNull(replyOn(back), "one refusal, for the one call over its limit");
    }

    /** A 30 MB call costs the reader its buffer and a few small arrays, not 30 MB (it used to cost 60). */
    @Test
    void aThirtyMegabyteCallIsReadPastWithoutAllocatingItsBody() throws Exception {
        MethodCall huge = call(Endian.LITTLE, "Claim", "01:00.0", "h".repeat(30 << 20));
        MethodCall after = call(Endian.LITTLE, "Status");
        sendInBackground(huge, after);
        BufferedMessageReader reader = reader(BufferedMessageReader.BUFFER_BYTES, LIMITS);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        Message got = next(reader);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(after.getSerial(), got.getSerial());
        assertTrue(allocated < 1 << 20, "allocated " + allocated + " bytes to read past a 30 MB call");
        assertEquals("org.freedesktop.DBus.Error.LimitsExceeded", replyOn(TestWire.on(sending).reader).getName());
    }

    @Test
    void headerFieldsTooLargeToHoldAreReadAsAStreamAndTheSenderIsStillAnswered() throws Exception {
        MethodCall hugePath = new MessageFactory(Endian.LITTLE).createMethodCall(":1.7", "org.gpupass1",
                "/org/gpupass1/" + "a".repeat(100_000), "org.gpupass1.Manager", "Status", (byte) 0, null);
        MethodCall after = call(Endian.BIG, "Status");
        sendInBackground(hugePath, after);
        BufferedMessageReader reader = reader(1_024, LIMITS);
        assertSameMessage(after, next(reader));
        Message refusal = replyOn(TestWire.on(sending).reader);
        assertEquals("org.freedesktop.DBus.Error.LimitsExceeded", refusal.getName());
        assertEquals(hugePath.getSerial(), refusal.getReplySerial());
        assertEquals(":1.7", refusal.getDestination());
        assertTrue(((String) refusal.getParameters()[0]).contains("header fields"), refusal.toString());
    }

    @Test
    void aSignalOrACallWantingNoReplyOverItsLimitIsDroppedSilently() throws Exception {
        Message signal = new MessageFactory(Endian.LITTLE).createSignal(":1.7", "/x", "org.example.X", "Spam", "s",
                "z".repeat(5_000));
        MethodCall noReply = new MessageFactory(Endian.LITTLE).createMethodCall(":1.7", "org.gpupass1", "/org/gpupass1",
                "org.gpupass1.Manager", "Release", org.freedesktop.dbus.messages.constants.Flags.NO_REPLY_EXPECTED, "ss",
                "01:00.0", "v".repeat(10_000));
        MethodCall after = call(Endian.LITTLE, "Status");
        sendInBackground(signal, noReply, after);
        BufferedMessageReader reader = reader(BufferedMessageReader.BUFFER_BYTES, LIMITS);
        assertSameMessage(after, next(reader));
        assertNull(replyOn(TestWire.on(sending).reader));
    }
}
