package org.gpupass.bus.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodReturn;
import org.freedesktop.dbus.messages.constants.Endian;
import org.gpupass.demo.PrivateBus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon's wire relies on in dbus-java 5.2.0, on a real bus: that a connection is connected inside
 * {@code build()} on the calling thread, through the ServiceLoader's socket provider, so that arming the
 * provider on that thread gives exactly that connection the daemon's reader and writer (DaemonWire.connect
 * fails otherwise); that a provider returning no reader leaves dbus-java's own, so other connections work
 * as before; and that replies to the wire's own calls reach it, not dbus-java. An upgrade of dbus-java
 * that changes any of these fails here.
 */
@Timeout(60)
class DaemonWireTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheConnectionBuiltThroughTheWireGetsItAndItsOwnCallsAreAnsweredThroughIt() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try (PrivateBus bus = PrivateBus.start(dir, false)) {
            DaemonWire wire = new DaemonWire(MessageLimits.uniform(MessageLimits.SMALL), executor);
            try (DBusConnection daemon = wire.connect(DBusConnectionBuilder.forAddress(bus.address()).withShared(false));
                 DBusConnection other = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build()) {
                // The wire reads the daemon's socket: it saw the bus give the connection its unique name.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!wire.owns(daemon.getUniqueName())) {
                    assertTrue(System.nanoTime() < deadline, "the wire never saw NameAcquired");
                    Thread.sleep(10);
                }
                assertTrue(!wire.owns(other.getUniqueName()));
                // The other connection, with dbus-java's own reader and writer, works as ever.
                DBus dbus = other.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
                assertEquals(daemon.getUniqueName(), dbus.GetNameOwner(daemon.getUniqueName()));
                // A call of the wire's own is answered through the wire, with no thread waiting.
                Message reply = wire.call(new MessageFactory(Endian.LITTLE).createMethodCall(null, "org.freedesktop.DBus",
                        "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", (byte) 0, "s",
                        other.getUniqueName()), Duration.ofSeconds(10), executor).get(10, TimeUnit.SECONDS);
                assertInstanceOf(MethodReturn.class, reply);
                assertEquals(other.getUniqueName(), reply.getParameters()[0]);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    /**
     * A reply cancels its call's timeout and the executor drops it: before, every call kept a timer task
     * (holding the call and its reply) for its whole timeout, 5 minutes for polkit, so a user refused
     * over and over filled the daemon's heap.
     */
    @Test
    void answeredCallsLeaveNoTimeoutBehind() throws Exception {
        ScheduledThreadPoolExecutor executor = DaemonWire.callExecutor("test-calls");
        try (PrivateBus bus = PrivateBus.start(dir, false)) {
            DaemonWire wire = new DaemonWire(MessageLimits.uniform(MessageLimits.SMALL), executor);
            try (DBusConnection daemon = wire.connect(DBusConnectionBuilder.forAddress(bus.address()).withShared(false))) {
                MessageFactory factory = new MessageFactory(Endian.LITTLE);
                for (int i = 0; i < 200; i++) {
                    Message reply = wire.call(factory.createMethodCall(null, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus", "GetId", (byte) 0, null), Duration.ofMinutes(5), executor)
                            .get(10, TimeUnit.SECONDS);
                    assertInstanceOf(MethodReturn.class, reply);
                }
                assertEquals(0, executor.getQueue().size(), "timeouts still queued after their replies");
            }
        } finally {
            executor.shutdownNow();
        }
    }
}
