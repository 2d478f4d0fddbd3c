package org.gpupass.bus;

import java.util.Map;
import org.freedesktop.DBus.Error.PropertyReadOnly;
import org.freedesktop.DBus.Error.UnknownInterface;
import org.freedesktop.DBus.Error.UnknownProperty;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.model.Printable;

/**
 * org.freedesktop.DBus.Properties for an object with one interface of read-only properties,
 * written by hand because dbus-java 5.2.0's own Get reply is not a variant.
 */
abstract class ReadOnlyProperties implements Properties {
    private final String interfaceName;
    private final String path;

    ReadOnlyProperties(String interfaceName, String path) {
        this.interfaceName = interfaceName;
        this.path = path;
    }

    /** One property's current value, or null when there is no such property. */
    abstract Variant<?> property(String name);

    /** Every property's current value, in spec order. */
    abstract Map<String, Variant<?>> properties();

    @Override
    public final String getObjectPath() {
        return path;
    }

    @Override
    @SuppressWarnings("unchecked")
    public final <A> A Get(String requested, String propertyName) {
        requireInterface(requested);
        Variant<?> value = property(propertyName);
        if (value == null) {
            throw new UnknownProperty("No property " + Printable.clip(propertyName) + " on " + interfaceName);
        }
        return (A) value;
    }

    @Override
    public final <A> void Set(String requested, String propertyName, A value) {
        requireInterface(requested);
        if (property(propertyName) == null) {
            throw new UnknownProperty("No property " + Printable.clip(propertyName) + " on " + interfaceName);
        }
        throw new PropertyReadOnly("Property " + propertyName + " is read-only");
    }

    @Override
    public final Map<String, Variant<?>> GetAll(String requested) {
        if (Standard.isStandard(requested)) {
            return Map.of();
        }
        requireInterface(requested);
        return properties();
    }

    private void requireInterface(String requested) {
        if (!requested.isEmpty() && !requested.equals(interfaceName)) {
            throw new UnknownInterface("No interface " + Printable.clip(requested) + " with properties on " + path);
        }
    }
}
