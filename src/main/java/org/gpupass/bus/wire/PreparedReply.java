package org.gpupass.bus.wire;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.messages.constants.HeaderField;
import org.freedesktop.dbus.messages.constants.MessageType;

/**
 * A method return whose body was marshalled beforehand: only the header (reply serial, destination,
 * signature) is made per call, with no flags, as dbus-java's own returns. Little-endian. The serial
 * comes from dbus-java's counter (through {@link Message}'s constructor), so it never repeats one of
 * its own.
 */
final class PreparedReply extends Message {
    private final byte[][] wire;

    PreparedReply(MethodCall call, String signature, byte[] body) throws DBusException {
        super(Endian.LITTLE, MessageType.METHOD_RETURN, (byte) 0);
        wire = new byte[][] {header(getSerial(), call.getSerial(), call.getSource(), signature, body.length), body, null};
    }

    @Override
    public byte[][] getWireData() {
        return wire;
    }

    /** The fixed header and the header fields, padded to 8 bytes: everything before the body. */
    private static byte[] header(long serial, long replySerial, String destination, String signature, int bodyLength) {
        Marshaller out = new Marshaller();
        out.bytes(Endian.LITTLE, MessageType.METHOD_RETURN, (byte) 0, Message.PROTOCOL);
        out.uint32(bodyLength);
        out.uint32(serial);
        out.uint32(0); // the fields' length, filled in below
        out.field(HeaderField.REPLY_SERIAL, 'u');
        out.uint32(replySerial);
        if (destination != null) {
            out.field(HeaderField.DESTINATION, 's');
            out.string(destination);
        }
        out.field(HeaderField.SIGNATURE, 'g');
        byte[] sig = signature.getBytes(StandardCharsets.US_ASCII);
        out.bytes((byte) sig.length);
        out.write(sig, 0, sig.length);
        out.bytes((byte) 0);
        int fieldsLength = out.size() - 16;
        out.align(8);
        byte[] header = out.toByteArray();
        for (int i = 0; i < 4; i++) {
            header[12 + i] = (byte) (fieldsLength >>> (8 * i));
        }
        return header;
    }

    /** Little-endian D-Bus marshalling of the few types a reply header holds. */
    private static final class Marshaller extends ByteArrayOutputStream {
        Marshaller() {
            super(128);
        }

        void bytes(byte... values) {
            write(values, 0, values.length);
        }

        void uint32(long value) {
            align(4);
            bytes((byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24));
        }

        void string(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            uint32(utf8.length);
            write(utf8, 0, utf8.length);
            bytes((byte) 0);
        }

        /** A header field's struct start: its code and a one-letter variant signature. */
        void field(byte code, char type) {
            align(8);
            bytes(code, (byte) 1, (byte) type, (byte) 0);
        }

        void align(int boundary) {
            while (size() % boundary != 0) {
                write(0);
            }
        }
    }
}
