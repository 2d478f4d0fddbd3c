package org.gpupass.bus.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.messages.constants.HeaderField;

/**
 * What a D-Bus message's header says, read before its body so that the reader can decide what the
 * body may cost: the fixed header (type, flags, lengths, serial) and the header fields that name the
 * call (path, interface, member, sender, signature, reply serial). Parsed by hand from the wire,
 * because a header too large to keep is read as a stream and only its small fields are kept.
 */
public final class HeaderFields {
    /** The fixed header (12 bytes) and the header-field array's length. */
    static final int PREFIX = 16;
    /** A field value longer than this is skipped, never kept (names are at most 255 bytes). */
    static final int MAX_KEPT_VALUE = 4096;
    /** The message types of the D-Bus specification. */
    static final byte METHOD_CALL = 1;
    static final byte METHOD_RETURN = 2;
    static final byte ERROR = 3;
    static final byte SIGNAL = 4;

    final boolean bigEndian;
    final byte type;
    final byte flags;
    final long bodyLength;
    final long serial;
    final long fieldsLength;
    String path;
    String iface;
    String member;
    String errorName;
    String destination;
    String sender;
    String signature = "";
    long replySerial;
    /** The single-letter types {@link #value} reads. */
    private static final String BASIC_TYPES = "sogybiuhnqxtd";
    /** False when a field could not be parsed (a container type) or a value was too long to keep. */
    boolean complete = true;

    private HeaderFields(boolean bigEndian, byte type, byte flags, long bodyLength, long serial, long fieldsLength) {
        this.bigEndian = bigEndian;
        this.type = type;
        this.flags = flags;
        this.bodyLength = bodyLength;
        this.serial = serial;
        this.fieldsLength = fieldsLength;
    }

    /** The fixed part, from the first {@link #PREFIX} bytes of a message; checked as the reader needs. */
    static HeaderFields prefix(byte[] p) throws IOException {
        if (p[0] != Endian.LITTLE && p[0] != Endian.BIG) {
            throw new IOException("malformed D-Bus message: endianness byte " + p[0]);
        }
        boolean big = p[0] == Endian.BIG;
        return new HeaderFields(big, p[1], p[2], uint32(p, 4, big), uint32(p, 8, big), uint32(p, 12, big));
    }

    public boolean isMethodCall() {
        return type == METHOD_CALL;
    }

    public boolean isReply() {
        return type == METHOD_RETURN || type == ERROR;
    }

    public boolean isSignal() {
        return type == SIGNAL;
    }

    public String path() {
        return path;
    }

    public String iface() {
        return iface;
    }

    public String member() {
        return member;
    }

    public String sender() {
        return sender;
    }

    public String signature() {
        return signature;
    }

    public long bodyLength() {
        return bodyLength;
    }

    public boolean wantsReply() {
        return type == METHOD_CALL && (flags & Flags.NO_REPLY_EXPECTED) == 0;
    }

    /** Bytes from the start of the message to the start of its body. */
    long headerLength() {
        return PREFIX + align(fieldsLength, 8);
    }

    /** What this message is, for a log line: "method call org.gpupass1.Manager.Claim from :1.7". */
    String describe() {
        String kind = switch (type) {
            case METHOD_CALL -> "method call";
            case SIGNAL -> "signal";
            case METHOD_RETURN -> "method return";
            case ERROR -> "error";
            default -> "message of type " + type;
        };
        String name = (iface == null ? "" : iface + ".") + (member == null ? "" : member);
        return kind + (name.isEmpty() ? "" : " " + name) + " from " + (sender == null ? "an unknown sender" : sender);
    }

    /** Where the field bytes come from: an array, or the socket as a stream. Positions count from the message start. */
    interface Source {
        long position();

        int u8() throws IOException;

        /** The next {@code n} bytes, or null (having skipped them) when more than {@code keep}. */
        byte[] bytes(long n, int keep) throws IOException;

        void skip(long n) throws IOException;
    }

    /** Reads every field from {@code in}, which stands at the first field (message offset 16). */
    void readFields(Source in, int keep) throws IOException {
        long end = PREFIX + fieldsLength;
        while (in.position() < end) {
            alignTo(in, 8);
            if (in.position() >= end) {
                break;
            }
            int code = in.u8();
            int sigLength = in.u8();
            byte[] sig = in.bytes(sigLength, 255);
            in.skip(1);
            if (sigLength != 1 || BASIC_TYPES.indexOf(sig[0]) < 0) {
                // A container (a variant, array or struct: allowed in a field the protocol may add
                // later): this parser does not walk it, and dbus-java gets the whole header anyway.
                complete = false;
                in.skip(end - in.position());
                return;
            }
            Object value = value(in, (char) sig[0], keep);
            if (value == null) {
                complete = false;
            }
            switch (code) {
                case HeaderField.PATH -> path = (String) value;
                case HeaderField.INTERFACE -> iface = (String) value;
                case HeaderField.MEMBER -> member = (String) value;
                case HeaderField.ERROR_NAME -> errorName = (String) value;
                case HeaderField.REPLY_SERIAL -> replySerial = value instanceof Long l ? l : 0;
                case HeaderField.DESTINATION -> destination = (String) value;
                case HeaderField.SENDER -> sender = (String) value;
                case HeaderField.SIGNATURE -> signature = value == null ? null : (String) value;
                default -> {
                    // UNIX_FDS and fields of later versions of the protocol: not needed here.
                }
            }
            if (in.position() > end) {
                throw new IOException("malformed D-Bus message: a header field runs past the header");
            }
        }
    }

    /** One basic value: a String for s/o/g (null when too long to keep), a Long for numbers. */
    private Object value(Source in, char type, int keep) throws IOException {
        switch (type) {
            case 's', 'o' -> {
                alignTo(in, 4);
                long n = uint32(in.bytes(4, 4), 0, bigEndian);
                byte[] text = in.bytes(n, keep);
                in.skip(1);
                return text == null ? null : new String(text, StandardCharsets.UTF_8);
            }
            case 'g' -> {
                int n = in.u8();
                byte[] text = in.bytes(n, 255);
                in.skip(1);
                return new String(text, StandardCharsets.US_ASCII);
            }
            case 'y' -> {
                return (long) in.u8();
            }
            case 'b', 'i', 'u', 'h' -> {
                alignTo(in, 4);
                return uint32(in.bytes(4, 4), 0, bigEndian);
            }
            case 'n', 'q' -> {
                alignTo(in, 2);
                in.skip(2);
                return 0L;
            }
            case 'x', 't', 'd' -> {
                alignTo(in, 8);
                in.skip(8);
                return 0L;
            }
            default -> throw new IllegalStateException("not a basic type: " + type); // see BASIC_TYPES
        }
    }

    private static void alignTo(Source in, int boundary) throws IOException {
        long pad = align(in.position(), boundary) - in.position();
        if (pad > 0) {
            in.skip(pad);
        }
    }

    static long align(long n, int boundary) {
        return (n + boundary - 1) & -boundary;
    }

    static long uint32(byte[] b, int at, boolean big) {
        long v = big
                ? (b[at] & 0xffL) << 24 | (b[at + 1] & 0xffL) << 16 | (b[at + 2] & 0xffL) << 8 | (b[at + 3] & 0xffL)
                : (b[at + 3] & 0xffL) << 24 | (b[at + 2] & 0xffL) << 16 | (b[at + 1] & 0xffL) << 8 | (b[at] & 0xffL);
        return v;
    }

    /** A source over the header-field bytes of a message, held in {@code fields} from index {@code from}. */
    static Source of(byte[] fields, int from) {
        return new Source() {
            private int at = from;

            @Override
            public long position() {
                return PREFIX + at - from;
            }

            @Override
            public int u8() throws IOException {
                need(1);
                return fields[at++] & 0xff;
            }

            @Override
            public byte[] bytes(long n, int keep) throws IOException {
                need(n);
                byte[] out = java.util.Arrays.copyOfRange(fields, at, at + (int) n);
                at += (int) n;
                return out;
            }

            @Override
            public void skip(long n) throws IOException {
                need(n);
                at += (int) n;
            }

            private void need(long n) throws IOException {
                if (n < 0 || at + n > fields.length) {
                    throw new IOException("malformed D-Bus message: the header fields end early");
                }
            }
        };
    }
}
