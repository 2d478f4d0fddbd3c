package org.gpupass.bus;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.gpupass.systemd.SdNotify;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A second instance on the same bus: told who owns org.gpupass1, before or while it starts. */
@Timeout(60)
class BusServiceNameTest {
    private static final SdNotify QUIET = SdNotify.from(Map.of(), 1);

    @Test
    void connectingWhereTheNameIsOwnedSaysByWhom() throws Exception {
        try (TestBus bus = TestBus.start();
             BusService first = BusService.start(new FakeGpuService(), bus.address(), QUIET)) {
            DBusException e = assertThrows(DBusException.class, () -> BusService.connect(bus.address(), QUIET));
            String m = e.getMessage();
            assertTrue(m.startsWith("another process already owns org.gpupass1 on the bus " + bus.address() + ": "
                    + first.uniqueName() + ", pid " + ProcessHandle.current().pid()), m);
            assertTrue(m.contains("this instance stops before it opens its state directory"), m);
        }
    }

    @Test
    void losingTheRaceForTheNameSaysByWhom() throws Exception {
        try (TestBus bus = TestBus.start()) {
            BusService late = BusService.connect(bus.address(), QUIET); // nobody owns it yet
            // Another process (here: another connection) takes the name while this one exports its objects.
            try (DBusConnection other = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build()) {
                other.requestBusName(BusNames.BUS_NAME);
                DBusException e = assertThrows(DBusException.class, () -> late.serve(new FakeGpuService()));
                assertTrue(e.getMessage().startsWith("another process already owns org.gpupass1 on the bus "
                        + bus.address() + ": " + other.getUniqueName()), e.getMessage());
                assertTrue(e.getMessage().contains("it took the name while this one started"), e.getMessage());
            } finally {
                late.close();
            }
        }
    }
}
