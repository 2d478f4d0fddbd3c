package org.gpupass.bus.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.messages.constants.Flags;

/**
 * Read-only calls without arguments that one connection's reader thread answers itself, with a reply
 * body marshalled beforehand, instead of handing them to dbus-java. dbus-java 5.2.0 spends most of
 * a call's time on its way through a thread pool, reflection, marshalling every value again and a
 * sender thread; {@code Status} is the call hook scripts and applets poll, so it is answered here.
 *
 * <p>A call is answered only when it wants a reply, carries no arguments, names a registered path
 * and member (and its interface, or none), and is addressed to the registered bus name or the
 * connection's unique name while the connection owns that bus name (its {@link DaemonWire} follows
 * the bus's NameAcquired and NameLost signals). Anything else goes on as before. A reply body is
 * little-endian, as dbus-java's own messages. Each {@link DaemonWire} has its own registrations.
 */
public final class FastReplies {
    /** A call answered by the reader: the reply's signature and its current marshalled body. */
    record Answer(String busName, String path, String iface, String member, String signature, Supplier<byte[]> body) {
    }

    private final Object lock = new Object();
    private volatile List<Answer> answers = List.of();

    FastReplies() {
    }

    /**
     * Has the reader answer {@code iface.member} on {@code path} with a reply of {@code signature} whose
     * body {@code body} supplies (see {@link #marshal}); it is called on the reader thread for every
     * such call, so it must be quick. Closing the result stops it. One registration per call at a time.
     */
    public Registration register(String busName, String path, String iface, String member, String signature,
            Supplier<byte[]> body) {
        Answer answer = new Answer(busName, path, iface, member, signature, body);
        synchronized (lock) {
            for (Answer a : answers) {
                if (a.path().equals(path) && a.member().equals(member)) {
                    throw new IllegalStateException(iface + "." + member + " on " + path + " is answered already");
                }
            }
            List<Answer> more = new ArrayList<>(answers);
            more.add(answer);
            answers = List.copyOf(more);
        }
        return () -> {
            synchronized (lock) {
                List<Answer> fewer = new ArrayList<>(answers);
                fewer.remove(answer);
                answers = List.copyOf(fewer);
            }
        };
    }

    /** Ends a registration. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** The body of a little-endian message holding {@code values} marshalled as {@code signature}. */
    public static byte[] marshal(String signature, Object... values) throws DBusException {
        // dbus-java marshals only as part of a message: a throwaway call, then its body's bytes.
        Message message = new MessageFactory(Endian.LITTLE)
                .createMethodCall("org.example.Marshal", "/", "org.example.Marshal", "Marshal", (byte) 0, signature, values);
        int length = 0;
        for (byte[] chunk : message.getWireData()) {
            length += chunk == null ? 0 : chunk.length;
        }
        byte[] wire = new byte[length];
        int at = 0;
        for (byte[] chunk : message.getWireData()) {
            if (chunk != null) {
                System.arraycopy(chunk, 0, wire, at, chunk.length);
                at += chunk.length;
            }
        }
        int bodyLength = (wire[4] & 0xff) | (wire[5] & 0xff) << 8 | (wire[6] & 0xff) << 16 | (wire[7] & 0xff) << 24;
        return Arrays.copyOfRange(wire, length - bodyLength, length);
    }

    /** The prepared reply to {@code call}, or null when it is not one of the registered calls. */
    PreparedReply replyTo(MethodCall call, Predicate<String> owned) throws DBusException {
        List<Answer> registered = answers;
        if (registered.isEmpty() || (call.getFlags() & Flags.NO_REPLY_EXPECTED) != 0
                || (call.getSig() != null && !call.getSig().isEmpty())) {
            return null;
        }
        for (Answer answer : registered) {
            if (answer.member().equals(call.getName()) && answer.path().equals(call.getPath())
                    && (call.getInterface() == null || answer.iface().equals(call.getInterface()))
                    && owned.test(answer.busName())) {
                return new PreparedReply(call, answer.signature(), answer.body().get());
            }
        }
        return null;
    }
}
