package org.gpupass.bus.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.MessageProtocolVersionException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.spi.message.IMessageReader;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads D-Bus messages through one buffer: a read(2) takes whatever the socket holds, and every whole
 * message in it is handed out without another system call. dbus-java 5.2.0's reader makes four
 * reads per message (fixed header, header length, header fields, body). A message larger than the
 * buffer is read straight into its own arrays. Calls {@link FastReplies} answers never reach dbus-java.
 */
final class BufferedMessageReader implements IMessageReader {
    private static final Logger LOG = LoggerFactory.getLogger(BufferedMessageReader.class);
    /** The fixed header (12 bytes) and the header-field array's length. */
    private static final int PREFIX = 16;
    static final int BUFFER_BYTES = 16 * 1024;

    private final SocketChannel channel;
    private final ByteBuffer buffer; // between reads: position = first unread byte, limit = end of data
    private final IMessageWriter writer;
    private final FastReplies.Connection fastReplies = new FastReplies.Connection();

    /** A reader whose {@link FastReplies} go out through {@code writer}, the same socket's. */
    BufferedMessageReader(SocketChannel channel, IMessageWriter writer) {
        this(channel, writer, BUFFER_BYTES);
    }

    BufferedMessageReader(SocketChannel channel, IMessageWriter writer, int bufferBytes) {
        this.channel = channel;
        this.writer = writer;
        this.buffer = ByteBuffer.allocateDirect(bufferBytes).limit(0);
    }

    IMessageWriter writer() {
        return writer;
    }

    /** The next message for dbus-java, or null (none whole yet, or one this reader answered itself). */
    @Override
    public Message readMessage() throws IOException, DBusException {
        Message message = nextMessage();
        if (message == null) {
            return null;
        }
        PreparedReply reply;
        try {
            reply = fastReplies.replyTo(message);
        } catch (DBusException | RuntimeException e) {
            LOG.debug("Handing {} to dbus-java: {}", message.getName(), e.toString());
            return message;
        }
        if (reply == null) {
            return message;
        }
        writer.writeMessage(reply);
        return null;
    }

    private Message nextMessage() throws IOException, DBusException {
        if (buffer.remaining() < PREFIX || buffer.remaining() < messageLength()) {
            fill();
            if (buffer.remaining() < PREFIX) {
                return null;
            }
        }
        long length = messageLength();
        if (buffer.remaining() < length && length <= buffer.capacity()) {
            return null; // the rest comes with the next read
        }
        int fields = (int) align8(unsignedInt(12));
        byte[] fixed = take(12);
        // dbus-java reads the header fields as an array at offset 0 of their own buffer, so it wants
        // the array length, 4 bytes of padding (to the wire's 8-byte alignment), then the fields.
        byte[] header = new byte[8 + fields];
        buffer.get(header, 0, 4);
        take(header, 8);
        byte[] body = take((int) length - PREFIX - fields);
        return MessageFactory.createMessage(fixed[1], fixed, header, body, null);
    }

    /** One read appended to the buffered bytes. */
    private void fill() throws IOException {
        buffer.compact();
        int read;
        try {
            read = channel.read(buffer);
        } finally {
            buffer.flip();
        }
        if (read < 0) {
            throw new EOFException("D-Bus peer closed the connection");
        }
    }

    /** Total length of the message at the buffer's position, checked; needs {@link #PREFIX} bytes. */
    private long messageLength() throws IOException {
        if (buffer.remaining() < PREFIX) {
            return Long.MAX_VALUE;
        }
        byte endian = buffer.get(buffer.position());
        byte version = buffer.get(buffer.position() + 3);
        if (endian != Endian.LITTLE && endian != Endian.BIG) {
            throw new IOException("malformed D-Bus message: endianness byte " + endian);
        }
        if (version > Message.PROTOCOL) {
            throw new MessageProtocolVersionException("D-Bus protocol version " + version + " is unsupported");
        }
        long length = PREFIX + align8(unsignedInt(12)) + unsignedInt(4);
        if (length > Message.MAXIMUM_MESSAGE_LENGTH) {
            throw new IOException("malformed D-Bus message: " + length + " bytes");
        }
        return length;
    }

    /** The message's uint32 at {@code offset}, in the message's own byte order. */
    private long unsignedInt(int offset) {
        boolean big = buffer.get(buffer.position()) == Endian.BIG;
        ByteOrder order = big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return Integer.toUnsignedLong(buffer.duplicate().order(order).getInt(buffer.position() + offset));
    }

    /** The next {@code count} bytes: from the buffer, then (for a message larger than it) the socket. */
    private byte[] take(int count) throws IOException {
        byte[] bytes = new byte[count];
        take(bytes, 0);
        return bytes;
    }

    /** Fills {@code bytes} from index {@code from} on, the same way. */
    private void take(byte[] bytes, int from) throws IOException {
        int buffered = Math.min(bytes.length - from, buffer.remaining());
        buffer.get(bytes, from, buffered);
        ByteBuffer rest = ByteBuffer.wrap(bytes, from + buffered, bytes.length - from - buffered);
        while (rest.hasRemaining()) {
            if (channel.read(rest) < 0) {
                throw new EOFException("D-Bus peer closed the connection inside a message");
            }
        }
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
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
