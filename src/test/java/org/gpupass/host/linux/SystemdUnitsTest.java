package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.matchrules.DBusMatchRule;
import org.freedesktop.dbus.matchrules.DBusMatchRuleBuilder;
import org.freedesktop.dbus.types.UInt32;
import org.gpupass.config.Config;
import org.gpupass.demo.PrivateBus;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SystemdUnits against a stand-in systemd1 on a private dbus-daemon. */
class SystemdUnitsTest {
    @TempDir
    static Path dir;
    static PrivateBus bus;
    static DBusConnection service;
    static DBusConnection spoofer;
    static DBusConnection client;
    static StandInSystemd systemd;
    static SystemdUnits units;

    @BeforeAll
    static void startBus() throws Exception {
        bus = PrivateBus.start(dir, false);
        service = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build();
        spoofer = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build();
        client = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build();
        systemd = new StandInSystemd(service, spoofer, dir);
        service.exportObject(SystemdManager.OBJECT_PATH, systemd);
        service.requestBusName(SystemdManager.BUS_NAME);
        units = new SystemdUnits(client, Duration.ofSeconds(2));
    }

    @AfterAll
    static void stopBus() throws Exception {
        for (DBusConnection c : new DBusConnection[] {client, spoofer, service}) {
            if (c != null) {
                c.close();
            }
        }
        if (bus != null) {
            bus.close();
        }
    }

    @BeforeEach
    void resetStandIn() throws Exception {
        systemd.endings.clear();
        systemd.calls.clear();
        systemd.unit("sddm.service", "active");
        systemd.unit("gdm.service", "inactive");
        systemd.unit("nvidia-persistenced.service", "activating");
    }

    @Test
    void stopAndStartWaitForTheirJobs() throws Exception {
        units.stop("sddm.service");
        assertEquals("inactive", systemd.activeState.get("sddm.service"));
        assertTrue(systemd.calls.contains("stop sddm.service replace"), systemd.calls.toString());
        units.start("sddm.service");
        assertEquals("active", systemd.activeState.get("sddm.service"));
        assertTrue(systemd.calls.contains("start sddm.service replace"), systemd.calls.toString());
    }

    /** What travels on the bus must be systemd's names, not the Java ones: a raw match rule sees it. */
    @Test
    void jobRemovedTravelsUnderSystemdsInterfaceName() throws Exception {
        SystemdManager.JobRemoved sig = new SystemdManager.JobRemoved(SystemdManager.OBJECT_PATH, new UInt32(1),
                new DBusPath("/org/freedesktop/systemd1/job/1"), "x.service", "done");
        assertEquals("org.freedesktop.systemd1.Manager", sig.getInterface());
        assertEquals("JobRemoved", sig.getName());
        assertEquals("uoss", sig.getSig());
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        DBusMatchRule rule = DBusMatchRuleBuilder.create().withType("signal")
                .withInterface("org.freedesktop.systemd1.Manager").withMember("JobRemoved").build();
        try (AutoCloseable h = client.addGenericSigHandler(rule, s -> seen.add(s.getInterface() + "." + s.getName()
                + " " + s.getPath()))) {
            units.stop("sddm.service");
            assertEquals("org.freedesktop.systemd1.Manager.JobRemoved /org/freedesktop/systemd1",
                    seen.poll(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aJobThatEndsBeforeTheReplyIsNotMissed() throws Exception {
        systemd.endings.put("sddm.service", StandInSystemd.Ending.EARLY);
        long t0 = System.nanoTime();
        units.stop("sddm.service");
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_500, "answered by the signal, not the timeout");
    }

    @Test
    void failedJobIsEioWithTheResult() {
        systemd.endings.put("sddm.service", StandInSystemd.Ending.FAILED);
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> units.stop("sddm.service"));
        assertEquals(Errno.EIO, e.errno());
        assertEquals("sddm.service", e.path());
        assertTrue(e.getMessage().contains("job result: failed"), e.getMessage());
    }

    @Test
    void noJobRemovedIsATimeout() {
        systemd.endings.put("gdm.service", StandInSystemd.Ending.SILENT);
        long t0 = System.nanoTime();
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> units.start("gdm.service"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Errno.ETIMEDOUT, e.errno());
        assertTrue(ms >= 1_900 && ms < 10_000, ms + " ms");
    }

    @Test
    void aJobRemovedFromAnotherSenderIsIgnored() {
        systemd.endings.put("sddm.service", StandInSystemd.Ending.SPOOFED);
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> units.stop("sddm.service"));
        assertEquals(Errno.ETIMEDOUT, e.errno());
    }

    @Test
    void isActiveReadsActiveState() throws Exception {
        assertTrue(units.isActive("sddm.service"));
        assertFalse(units.isActive("gdm.service"));
        assertTrue(units.isActive("nvidia-persistenced.service"), "activating counts as active");
        assertTrue(systemd.calls.contains("get sddm.service"));
    }

    @Test
    void unknownUnitIsInactiveAndCannotBeStopped() throws Exception {
        assumeTrue(systemd.realNoSuchUnit(), "no Java compiler to name the stand-in's error NoSuchUnit");
        assertFalse(units.isActive("lightdm.service"));
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> units.stop("lightdm.service"));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains(SystemdManager.NO_SUCH_UNIT), e.getMessage());
    }

    @Test
    void otherErrorsAreEio() {
        // GetUnit answers an error that is not NoSuchUnit: Properties on a path nobody exports
        systemd.activeState.put("ghost.service", "active"); // known to GetUnit, no object exported
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> units.isActive("ghost.service"));
        assertEquals(Errno.EIO, e.errno(), e.getMessage());
    }

    @Test
    void badUnitNamesNeverReachTheBus() {
        for (String bad : List.of("", "sddm", "../sddm.service", "sddm.service;reboot", "a b.service",
                "sddm.servicex")) {
            KernelWriteException e = assertThrows(KernelWriteException.class, () -> units.stop(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
            assertThrows(KernelWriteException.class, () -> units.isActive(bad), bad);
        }
        assertTrue(systemd.calls.isEmpty(), systemd.calls.toString());
        assertTrue(SystemdUnits.validUnit("getty@tty1.service"));
        assertTrue(SystemdUnits.validUnit("session-2.scope"));
        assertTrue(SystemdUnits.validUnit("dev-dri-card1.device"));
    }

    /** The configuration accepts systemd's escaped names; the units code must not refuse them later. */
    @Test
    void everyUnitTheConfigurationAcceptsIsAcceptedHere() throws Exception {
        for (String unit : List.of("gdm\\x2dwayland.service", "systemd-fsck@dev-disk-by\\x2duuid-1.service",
                "getty@tty1.service", "session-c2.scope")) {
            Config config = Config.parse("stop_units = " + unit, "test.conf");
            assertEquals(List.of(unit), config.stopUnits());
            assertTrue(SystemdUnits.validUnit(unit), unit);
        }
    }
}
