package org.freedesktop.DBus.Error;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Sent as the standard {@code org.freedesktop.DBus.Error.PropertyReadOnly}: dbus-java names an error reply after
 * the exception's class, and its own {@code org.freedesktop.dbus.errors} classes carry the wrong case.
 */
public final class PropertyReadOnly extends DBusExecutionException {
    public PropertyReadOnly(String message) {
        super(message);
    }
}
