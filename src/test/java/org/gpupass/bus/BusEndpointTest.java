package org.gpupass.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.exceptions.DBusException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusEndpointTest {
    @TempDir
    Path dir;

    @Test
    void addressesThisLibraryCannotUseAreRefusedWithTheReason() {
        for (String bad : List.of("", "garbage", ":", "unix:", "unix:path=", "a:b", "tcp:host=localhost,port=1",
                "unix:abstract=/x", "unix:tmpdir=/tmp", "unix:path=/a;unix:path=/b", "unix:path=/x,frob=1",
                "unix:path=/x,noequals")) {
            BusEndpoint.BadAddress e = assertThrows(BusEndpoint.BadAddress.class, () -> BusEndpoint.of(bad), bad);
            assertTrue(e.getMessage().contains("unix:path=/path/to/socket"), bad + ": " + e.getMessage());
        }
    }

    @Test
    void aUnixPathWithAGuidIsAccepted() throws Exception {
        BusEndpoint e = BusEndpoint.of("unix:path=/run/x bus/socket,guid=604a885658de7fe2f33cfcfc6b0f3d59");
        assertEquals("unix:path=/run/x bus/socket,guid=604a885658de7fe2f33cfcfc6b0f3d59", e.address());
        assertEquals("the bus unix:path=/run/x bus/socket,guid=604a885658de7fe2f33cfcfc6b0f3d59", e.describe());
    }

    @Test
    void theSystemBusComesFromTheEnvironmentOrTheDefault() throws Exception {
        assertEquals(BusEndpoint.DEFAULT_SYSTEM_BUS, BusEndpoint.system(Map.of()).address());
        assertEquals(BusEndpoint.DEFAULT_SYSTEM_BUS, BusEndpoint.system(Map.of("DBUS_SYSTEM_BUS_ADDRESS", "")).address());
        BusEndpoint env = BusEndpoint.system(Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/other"));
        assertEquals("the system bus (unix:path=/run/other)", env.describe());
        BusEndpoint.BadAddress e = assertThrows(BusEndpoint.BadAddress.class,
                () -> BusEndpoint.system(Map.of("DBUS_SYSTEM_BUS_ADDRESS", "tcp:host=x")));
        assertTrue(e.getMessage().startsWith("DBUS_SYSTEM_BUS_ADDRESS: "), e.getMessage());
    }

    @Test
    void aMissingSocketFailsAtOnceNamingTheAddressAndWhatToCheck() throws Exception {
        Path missing = dir.resolve("no-bus");
        DBusException e = assertThrows(DBusException.class, () -> BusEndpoint.of("unix:path=" + missing).checkSocket());
        assertEquals("cannot connect to the bus unix:path=" + missing + ": " + missing + " does not exist; "
                + "check that a bus listens on that address (the --bus= option)", e.getMessage());
        DBusException system = assertThrows(DBusException.class, () -> BusEndpoint.system(
                Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + missing)).checkSocket());
        assertTrue(system.getMessage().startsWith("cannot connect to the system bus (unix:path=" + missing + "): "),
                system.getMessage());
        assertTrue(system.getMessage().contains("systemctl status dbus.socket dbus.service"), system.getMessage());
    }

    @Test
    void aFileOrDirectoryIsNotASocket() throws Exception {
        Path file = Files.createFile(dir.resolve("file"));
        for (Path p : List.of(file, dir)) {
            DBusException e = assertThrows(DBusException.class, () -> BusEndpoint.of("unix:path=" + p).checkSocket());
            assertTrue(e.getMessage().contains(p + " is not a socket"), e.getMessage());
        }
    }

    @Test
    void aListeningSocketPassesTheCheck() throws Exception {
        Path socket = dir.resolve("bus.socket");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            BusEndpoint.of("unix:path=" + socket).checkSocket();
        }
    }

    @Test
    void aFailedConnectionNamesTheAddress() throws Exception {
        DBusException e = BusEndpoint.of("unix:path=/run/x").unreachable(
                new DBusException("Failed to connect to bus: Connection refused"));
        assertEquals("cannot connect to the bus unix:path=/run/x: Failed to connect to bus: Connection refused; "
                + "check that a bus listens on that address (the --bus= option)", e.getMessage());
    }
}
