package org.gpupass.bus.wire;

import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodReturn;
import org.freedesktop.dbus.messages.constants.Endian;

/**
 * Replies to a call that is no longer at hand: made from the caller's name and the call's serial alone,
 * so a call that waits (for polkit, for the transition lock) keeps neither its message nor its body.
 */
public final class Replies {
    private static final MessageFactory FACTORY = new MessageFactory(Endian.LITTLE);

    private Replies() {
    }

    /** A method return; {@code signature} "" for a method without out-arguments. */
    public static MethodReturn methodReturn(String destination, long replySerial, String signature, Object... values)
            throws DBusException {
        return new Return(destination, replySerial, signature.isEmpty() ? null : signature,
                signature.isEmpty() ? new Object[0] : values);
    }

    /** An error reply named {@code name} with {@code message} as its one argument. */
    public static Error error(String destination, long replySerial, String name, String message) throws DBusException {
        return FACTORY.createError(destination, name, replySerial, "s", message);
    }

    /** dbus-java's MethodReturn has a constructor from destination and serial, protected. */
    private static final class Return extends MethodReturn {
        Return(String destination, long replySerial, String signature, Object... values) throws DBusException {
            super(Endian.LITTLE, destination, replySerial, signature, values);
        }
    }
}
