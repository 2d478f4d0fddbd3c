package org.gpupass.bus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.gpupass.model.Printable;

/** Who owns a well-known name, as the bus tells: the unique name and, where the bus says, the pid. */
record NameOwner(String uniqueName, long pid) {

    /** The current owner, or empty when the name has none (or the bus will not say). */
    static Optional<NameOwner> of(DBusConnection connection, String name) throws DBusException {
        DBus bus = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        String owner;
        try {
            owner = bus.GetNameOwner(name);
        } catch (DBusExecutionException e) {
            return Optional.empty(); // NameHasNoOwner
        }
        long pid;
        try {
            pid = bus.GetConnectionUnixProcessID(owner).longValue();
        } catch (DBusExecutionException e) {
            pid = -1; // gone meanwhile, or the bus does not know
        }
        return Optional.of(new NameOwner(owner, pid));
    }

    /** ":1.5, pid 1234 (java -jar ...)" as far as known; the command line when this process may read it. */
    String describe() {
        if (pid <= 0) {
            return uniqueName;
        }
        String command = "";
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            String text = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
            if (!text.isEmpty()) {
                command = " (" + Printable.clip(text) + ")";
            }
        } catch (IOException | SecurityException e) {
            // another pid namespace, or not ours to read: the pid alone
        }
        return uniqueName + ", pid " + pid + command;
    }
}
