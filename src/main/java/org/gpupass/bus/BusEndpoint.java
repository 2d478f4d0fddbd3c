package org.gpupass.bus;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.gpupass.model.Printable;

/**
 * The bus the daemon or gpupassctl connects to, checked before dbus-java tries: for an address it cannot
 * parse dbus-java throws unchecked exceptions (a stack trace), and for a socket that is not there it
 * retries for 10 s and then says only "Failed to connect to bus: No such file or directory". Here: which
 * address ({@code --bus=} or the system bus's), whether it is one this D-Bus library can use (a
 * {@code unix:path=} socket: the native transport has no abstract sockets and there is no TCP
 * transport), whether the socket exists, and what to check when the connection fails.
 */
public final class BusEndpoint {
    /** dbus-java's and libdbus's default when DBUS_SYSTEM_BUS_ADDRESS is unset. */
    public static final String DEFAULT_SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket";
    static final String SYSTEM_BUS_VARIABLE = "DBUS_SYSTEM_BUS_ADDRESS";
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /** An address gpupassd cannot use, with the reason: a usage error where it came from --bus=. */
    public static final class BadAddress extends DBusException {
        BadAddress(String message) {
            super(message);
        }
    }

    private final String address;
    private final Path socket;
    private final boolean system;

    private BusEndpoint(String address, Path socket, boolean system) {
        this.address = address;
        this.socket = socket;
        this.system = system;
    }

    /** {@code --bus=ADDRESS}, or null for the system bus (DBUS_SYSTEM_BUS_ADDRESS or the default). */
    public static BusEndpoint of(String address) throws BadAddress {
        return address == null ? system(System.getenv()) : parse(address, false);
    }

    /** The system bus as this environment names it. */
    static BusEndpoint system(Map<String, String> env) throws BadAddress {
        String fromEnv = env.get(SYSTEM_BUS_VARIABLE);
        boolean set = fromEnv != null && !fromEnv.isEmpty();
        try {
            return parse(set ? fromEnv : DEFAULT_SYSTEM_BUS, true);
        } catch (BadAddress e) {
            throw new BadAddress(SYSTEM_BUS_VARIABLE + ": " + e.getMessage());
        }
    }

    private static BusEndpoint parse(String address, boolean system) throws BadAddress {
        String shown = "'" + Printable.clip(address) + "'";
        if (address.isEmpty()) {
            throw new BadAddress("the bus address is empty (expected unix:path=/path/to/socket)");
        }
        if (address.indexOf(';') >= 0) {
            throw new BadAddress(shown + " lists several addresses; give one (unix:path=/path/to/socket)");
        }
        int colon = address.indexOf(':');
        if (colon <= 0) {
            throw new BadAddress(shown + " is not a D-Bus address (expected unix:path=/path/to/socket)");
        }
        String transport = address.substring(0, colon);
        if (!transport.equals("unix")) {
            throw new BadAddress(shown + ": transport '" + Printable.clip(transport)
                    + "' is not supported, only unix:path=/path/to/socket");
        }
        String path = null;
        for (String pair : address.substring(colon + 1).split(",", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new BadAddress(shown + " is not a D-Bus address: '" + Printable.clip(pair)
                        + "' is not key=value (expected unix:path=/path/to/socket)");
            }
            String key = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            switch (key) {
                case "path" -> path = value;
                case "guid" -> {
                }
                case "abstract", "tmpdir", "dir", "runtime" -> throw new BadAddress(shown + ": unix:" + key
                        + "= is not supported (no abstract sockets), only unix:path=/path/to/socket");
                default -> throw new BadAddress(shown + ": unknown key '" + Printable.clip(key)
                        + "' (expected unix:path=/path/to/socket)");
            }
        }
        if (path == null || path.isEmpty() || path.indexOf('\0') >= 0) {
            throw new BadAddress(shown + " names no socket (expected unix:path=/path/to/socket)");
        }
        return new BusEndpoint(address, Path.of(path), system);
    }

    /** The address, as given to dbus-java. */
    public String address() {
        return address;
    }

    /** "the system bus (unix:path=...)" or "the bus unix:path=...". */
    public String describe() {
        return system ? "the system bus (" + address + ")" : "the bus " + address;
    }

    /** A connection builder for this address, after {@link #checkSocket()}. */
    public DBusConnectionBuilder builder() throws DBusException {
        checkSocket();
        return DBusConnectionBuilder.forAddress(address);
    }

    /** Fails at once, saying what to check, when the socket is missing, not a socket, or out of reach. */
    public void checkSocket() throws DBusException {
        int mode;
        try {
            mode = ((Number) Files.getAttribute(socket, "unix:mode")).intValue();
        } catch (NoSuchFileException e) {
            throw unreachable(socket + " does not exist");
        } catch (AccessDeniedException e) {
            throw unreachable("no permission to look up " + socket);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return; // cannot tell: let the connection attempt say
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw unreachable(socket + " is not a socket");
        }
        if (!Files.isWritable(socket)) {
            throw unreachable("no permission to connect to " + socket + " (it needs write access)");
        }
    }

    /** A connection attempt that failed, naming the address and what to check. */
    public DBusException unreachable(Exception cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        DBusException e = unreachable(why);
        e.initCause(cause);
        return e;
    }

    private DBusException unreachable(String why) {
        String check = system
                ? "check that the D-Bus system bus runs (systemctl status dbus.socket dbus.service); "
                        + SYSTEM_BUS_VARIABLE + " or --bus=ADDRESS name another bus"
                : "check that a bus listens on that address (the --bus= option)";
        return new DBusException("cannot connect to " + describe() + ": " + why + "; " + check);
    }
}
