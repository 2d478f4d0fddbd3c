package org.freedesktop.DBus.Error;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Sent as the standard {@code org.freedesktop.DBus.Error.UnknownProperty}: dbus-java names an error reply after
 * the exception's class, and its own {@code org.freedesktop.dbus.errors} classes carry the wrong case.
 */
public final class UnknownProperty extends DBusExecutionException {
    public UnknownProperty(String message) {
        super(message);
    }
}
