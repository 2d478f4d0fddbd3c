package org.gpupass.bus.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.MessageProtocolVersionException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.spi.message.IMessageReader;
import org.freedesktop.dbus.spi.message.IMessageWriter;

/**
 * Reads D-Bus messages through one buffer: a read(2) takes whatever the socket holds, and every whole
 * message in it is handed out without another system call (dbus-java 5.2.0's reader makes four reads per
 * message). The header is read and parsed first; a body larger than the connection's
 * {@link MessageLimits} allow is read past through the buffer without ever being held, and the sender is
 * told why ({@link DaemonWire#refuse}); header fields larger than {@link MessageLimits#MAX_HEADER_FIELDS}
 * are read as a stream the same way. A message within its limit is read straight into its own arrays and
 * goes to {@link DaemonWire#route}, which answers or takes some calls itself.
 */
final class BufferedMessageReader extends SocketEnd implements IMessageReader {
    static final int BUFFER_BYTES = 16 * 1024;
    private static final int PREFIX = HeaderFields.PREFIX;

    private final ByteBuffer buffer; // between reads: position = first unread byte, limit = end of data
    private final IMessageWriter writer;
    private final DaemonWire wire;

    BufferedMessageReader(SocketChannel channel, IMessageWriter writer, DaemonWire wire) {
        this(channel, writer, wire, BUFFER_BYTES);
    }

    BufferedMessageReader(SocketChannel channel, IMessageWriter writer, DaemonWire wire, int bufferBytes) {
        super(channel);
        this.writer = writer;
        this.wire = wire;
        this.buffer = ByteBuffer.allocateDirect(bufferBytes).limit(0);
    }

    IMessageWriter writer() {
        return writer;
    }

    /** The next message for dbus-java, or null (none whole yet, or one this reader dealt with itself). */
    @Override
    public Message readMessage() throws IOException, DBusException {
        boolean filled = false; // one read(2) a call while no message is whole: dbus-java calls again
        if (buffer.remaining() < PREFIX) {
            fill();
            filled = true;
            if (buffer.remaining() < PREFIX) {
                return null;
            }
        }
        byte[] fixed = new byte[PREFIX];
        buffer.get(buffer.position(), fixed);
        HeaderFields header = HeaderFields.prefix(fixed);
        if (fixed[3] > Message.PROTOCOL) {
            throw new MessageProtocolVersionException("D-Bus protocol version " + fixed[3] + " is unsupported");
        }
        long length = header.headerLength() + header.bodyLength;
        if (length > Message.MAXIMUM_MESSAGE_LENGTH) {
            throw new IOException("malformed D-Bus message: " + length + " bytes");
        }
        if (header.fieldsLength > MessageLimits.MAX_HEADER_FIELDS) {
            skipWhole(header, "its header fields are " + header.fieldsLength + " bytes; gpupassd takes at most "
                    + MessageLimits.MAX_HEADER_FIELDS);
            return null;
        }
        if (buffer.remaining() < length && length <= buffer.capacity()) {
            if (filled) {
                return null;
            }
            fill();
            if (buffer.remaining() < length) {
                return null; // the rest comes with the next read
            }
        }
        buffer.position(buffer.position() + 12);
        // dbus-java reads the header fields as an array at offset 0 of their own buffer, so it wants
        // the array length, 4 bytes of padding (to the wire's 8-byte alignment), then the fields.
        byte[] fields = new byte[8 + (int) (header.headerLength() - PREFIX)];
        buffer.get(fields, 0, 4);
        take(fields, 8);
        header.readFields(HeaderFields.of(fields, 8), Integer.MAX_VALUE);
        long max = wire.limits().maxBody(header);
        if (header.bodyLength > max) {
            skip(header.bodyLength);
            wire.refuse(header, tooLarge(header, max));
            return null;
        }
        byte[] body = new byte[(int) header.bodyLength];
        take(body, 0);
        Message message = MessageFactory.createMessage(fixed[1], java.util.Arrays.copyOf(fixed, 12), fields, body, null);
        return wire.route(message, header);
    }

    private static String tooLarge(HeaderFields header, long max) {
        String what = header.isMethodCall() && header.member != null
                ? "the arguments of " + (header.iface == null ? "" : header.iface + ".") + header.member
                : "the body of such a message";
        return what + " may be at most " + max + " bytes, not " + header.bodyLength;
    }

    /** A message whose header is too large to hold: its small fields kept from the stream, the rest read past. */
    private void skipWhole(HeaderFields header, String why) throws IOException {
        buffer.position(buffer.position() + PREFIX);
        StreamSource in = new StreamSource();
        header.readFields(in, HeaderFields.MAX_KEPT_VALUE);
        in.skip(header.headerLength() - in.position());
        skip(header.bodyLength);
        wire.refuse(header, why);
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

    /** Reads past {@code count} bytes through the buffer, keeping none of them. */
    private void skip(long count) throws IOException {
        long left = count;
        while (left > 0) {
            if (!buffer.hasRemaining()) {
                fill();
            }
            int n = (int) Math.min(left, buffer.remaining());
            buffer.position(buffer.position() + n);
            left -= n;
        }
    }

    /** Fills {@code bytes} from index {@code from} on: from the buffer, then (for a large message) the socket. */
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

    /** The header fields as they come off the socket, for a header too large to hold. */
    private final class StreamSource implements HeaderFields.Source {
        private long position = PREFIX;

        @Override
        public long position() {
            return position;
        }

        @Override
        public int u8() throws IOException {
            if (!buffer.hasRemaining()) {
                fill();
            }
            position++;
            return buffer.get() & 0xff;
        }

        @Override
        public byte[] bytes(long n, int keep) throws IOException {
            if (n > keep) {
                skip(n);
                return null;
            }
            byte[] out = new byte[(int) n];
            take(out, 0);
            position += n;
            return out;
        }

        @Override
        public void skip(long n) throws IOException {
            BufferedMessageReader.this.skip(n);
            position += n;
        }
    }
}
