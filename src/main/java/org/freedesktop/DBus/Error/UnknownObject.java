package org.freedesktop.DBus.Error;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Sent as the standard {@code org.freedesktop.DBus.Error.UnknownObject}: dbus-java names an error reply after
 * the exception's class, and its own {@code org.freedesktop.dbus.errors} classes carry the wrong case.
 */
public final class UnknownObject extends DBusExecutionException {
    public UnknownObject(String message) {
        super(message);
    }
}
