package org.gpupass.bus.wire;

import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.constants.Endian;

/**
 * The one place where dbus-java's own error replies get their standard names. dbus-java 5.2.0 names an
 * error after the Java class it throws: an unknown object, method or wrong arguments go out as
 * {@code org.freedesktop.dbus.errors.UnknownObject} (lower-case package), a failure as
 * {@code org.freedesktop.dbus.exceptions.DBusExecutionException}. Every message the daemon's connections
 * write passes {@link #standardized} (in {@link GatheringMessageWriter}), so no such name leaves them.
 */
final class StandardErrors {
    private static final String JAVA_ERRORS = "org.freedesktop.dbus.errors.";
    private static final String JAVA_PACKAGE = "org.freedesktop.dbus.";
    static final String STANDARD = "org.freedesktop.DBus.Error.";
    private static final MessageFactory FACTORY = new MessageFactory(Endian.LITTLE);

    private StandardErrors() {
    }

    /** The standard name for an error dbus-java names {@code name}, with {@code text} as its message. */
    static String name(String name, String text) {
        if (name.startsWith(JAVA_ERRORS)) {
            String simple = name.substring(JAVA_ERRORS.length());
            boolean badArguments = simple.equals("InvalidMethodArgument")
                    || simple.equals("UnknownMethod") && text != null && text.startsWith("Failure in de-serializing");
            return STANDARD + (badArguments ? "InvalidArgs" : simple);
        }
        return name.startsWith(JAVA_PACKAGE) ? STANDARD + "Failed" : name;
    }

    /** {@code message}, or for an error with one of dbus-java's names the same error under the standard name. */
    static Message standardized(Message message) {
        if (!(message instanceof Error error) || error.getName() == null || !error.getName().startsWith(JAVA_PACKAGE)) {
            return message;
        }
        try {
            Object[] args = error.getParameters();
            String text = args != null && args.length > 0 && args[0] instanceof String s ? s : "";
            return FACTORY.createError(error.getDestination(), name(error.getName(), text), error.getReplySerial(),
                    "s", text);
        } catch (DBusException | RuntimeException e) {
            return message;
        }
    }
}
