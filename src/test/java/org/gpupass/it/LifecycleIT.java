package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.gpupass.systemd.NotifySocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The daemon's command line, systemd notifications, and how it ends. */
@Timeout(120)
class LifecycleIT {

    private static Cmd gpupassd(String... args) {
        List<String> c = Cmd.list(Daemon.java(), "-jar", Daemon.JAR.toString());
        c.addAll(List.of(args));
        return Cmd.run(c);
    }

    @Test
    void help_version_and_bad_options() {
        Cmd help = gpupassd("--help");
        assertEquals(0, help.exit());
        for (String option : List.of("--bus=ADDRESS", "--sysfs-root=DIR", "--state-dir=DIR", "--config=FILE",
                "--simulate[=NAME|FILE]", "--help", "--version")) {
            assertTrue(help.out().contains(option), option + " in " + help.out());
        }
        Cmd version = gpupassd("--version");
        assertEquals("gpupassd 0.1.0", version.out());
        Cmd bad = gpupassd("--frobnicate");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("unknown option: --frobnicate") && bad.err().contains("Usage: gpupassd"), bad.err());
        assertEquals(2, gpupassd("--bus").exit());
    }

    @Test
    void a_bad_configuration_names_its_line() throws Exception {
        Path conf = Files.createTempFile("gpupassd", ".conf");
        try {
            Files.writeString(conf, "# ok\nwrite_timeout = soon\n");
            Cmd run = gpupassd("--simulate", "--config=" + conf, "--bus=unix:path=/nonexistent");
            assertNotEquals(0, run.exit());
            assertTrue(run.err().contains(conf + ":2:"), run.err());
        } finally {
            Files.delete(conf);
        }
    }

    @Test
    void tells_systemd_ready_status_watchdog_and_stopping_and_exits_0_on_sigterm() throws Exception {
        try (Daemon daemon = Daemon.bus()) {
            Path socket = daemon.dir.resolve("notify");
            try (NotifySocket notify = new NotifySocket(socket)) {
                daemon.launch("", Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "400000"), null);
                notify.await("READY=1", 10_000);
                assertEquals("STATUS=00:02.0 UHD 770: host · 01:00.0 RTX 4070 Ti SUPER: host",
                        notify.await("STATUS=", 5_000));
                notify.await("WATCHDOG=1", 5_000);
                assertTrue(daemon.call("Claim", "ss", "01:00.0", "win11").ok());
                long deadline = System.currentTimeMillis() + 5_000;
                while (notify.drain().stream().noneMatch(m -> m.endsWith("01:00.0 RTX 4070 Ti SUPER: vfio (win11)"))) {
                    assertTrue(System.currentTimeMillis() < deadline, "STATUS kept current: " + notify.drain());
                    Thread.sleep(20);
                }
                assertEquals(0, daemon.stop(), daemon.log());
                notify.await("STOPPING=1", 5_000);
                List<String> all = notify.drain();
                assertTrue(all.indexOf("READY=1") < all.indexOf("STOPPING=1"), all.toString());
            }
        }
    }

    @Test
    void losing_the_bus_ends_the_process_with_a_failure_code() throws Exception {
        try (Daemon daemon = Daemon.start("")) {
            daemon.stopBus();
            assertTrue(daemon.process().waitFor(20, TimeUnit.SECONDS), "still running:\n" + daemon.log());
            assertNotEquals(0, daemon.process().exitValue());
        }
    }

    @Test
    void a_second_daemon_on_the_same_bus_gives_up() throws Exception {
        try (Daemon daemon = Daemon.start("")) {
            Cmd second = gpupassd("--simulate", "--bus=" + daemon.address, "--state-dir=" + daemon.dir.resolve("other"),
                    "--config=/nonexistent.conf");
            assertNotEquals(0, second.exit());
            assertTrue(daemon.process().isAlive());
            assertEquals("s \"host\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
        }
    }

    @Test
    void a_second_daemon_says_who_owns_the_name_before_it_touches_the_state_directory() throws Exception {
        try (Daemon daemon = Daemon.start("")) {
            assertTrue(daemon.call("Claim", "ss", "01:00.0", "win11").ok());
            // The same state directory: it used to reconcile it, then fail with "Failed to register bus name".
            Path shared = daemon.dir.resolve("state");
            List<String> claimsBefore = claimFiles(shared);
            assertEquals(1, claimsBefore.size(), claimsBefore.toString());
            Cmd second = gpupassd("--simulate", "--bus=" + daemon.address, "--state-dir=" + shared,
                    "--config=/nonexistent.conf");
            String said = second.out() + second.err();
            assertEquals(1, second.exit(), said);
            assertTrue(said.contains("another process already owns org.gpupass1 on the bus " + daemon.address + ": :1."),
                    said);
            assertTrue(said.contains("pid " + daemon.process().pid()), "names the owner's pid: " + said);
            assertTrue(said.contains("this instance stops before it opens its state directory"), said);
            // Before: its simulated host had the GPU on host drivers, so it dropped the first one's claim.
            assertFalse(said.contains("Reconcil") || said.contains("reconcil"), said);
            assertEquals(claimsBefore, claimFiles(shared), "the first instance's claim record is untouched");
            // A state directory that does not exist yet stays so: nothing was opened or created.
            Path fresh = daemon.dir.resolve("fresh-state");
            Cmd third = gpupassd("--simulate", "--bus=" + daemon.address, "--state-dir=" + fresh,
                    "--config=/nonexistent.conf");
            assertEquals(1, third.exit(), third.toString());
            assertFalse(Files.exists(fresh), "the second instance created " + fresh);
            assertTrue(daemon.process().isAlive());
            assertEquals("s \"win11\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
        }
    }

    private static List<String> claimFiles(Path stateDir) throws java.io.IOException {
        try (var files = Files.list(stateDir.resolve("claims"))) {
            return files.map(f -> {
                try {
                    return f.getFileName() + "=" + Files.readString(f);
                } catch (java.io.IOException e) {
                    return f.getFileName() + ": " + e;
                }
            }).sorted().toList();
        }
    }

    @Test
    void an_unreachable_bus_fails_at_once_naming_the_address_and_what_to_check() throws Exception {
        Path dir = Files.createTempDirectory("gpupass-it-nobus-");
        try {
            Path socket = dir.resolve("no-such/bus.socket");
            long t0 = System.nanoTime();
            Cmd given = gpupassd("--simulate", "--bus=unix:path=" + socket, "--state-dir=" + dir.resolve("state"),
                    "--config=/nonexistent.conf");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String said = given.out() + given.err();
            assertEquals(1, given.exit(), said);
            assertTrue(said.contains("cannot connect to the bus unix:path=" + socket + ": " + socket + " does not exist;"
                    + " check that a bus listens on that address"), said);
            assertFalse(Files.exists(dir.resolve("state")), "the state directory is opened only once on the bus");
            // dbus-java alone retries a missing socket for 10 s; the JVM's start is the rest.
            assertTrue(ms < 8_000, "took " + ms + " ms");
            System.out.println("unreachable --bus: exit after " + ms + " ms");

            Cmd system = Cmd.run(List.of(Daemon.java(), "-jar", Daemon.JAR.toString(), "--simulate",
                    "--state-dir=" + dir.resolve("state"), "--config=/nonexistent.conf"),
                    Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + socket), 60);
            said = system.out() + system.err();
            assertEquals(1, system.exit(), said);
            assertTrue(said.contains("cannot connect to the system bus (unix:path=" + socket + ")"), said);
            assertTrue(said.contains("systemctl status dbus.socket dbus.service"), said);

            Cmd garbage = gpupassd("--simulate", "--bus=garbage");
            assertEquals(2, garbage.exit(), garbage.toString());
            assertTrue(garbage.err().contains("--bus: 'garbage' is not a D-Bus address"), garbage.err());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void objects_are_exported_before_the_name_is_owned() throws Exception {
        try (Daemon daemon = Daemon.bus()) {
            Path out = daemon.dir.resolve("monitor.txt");
            Process monitor = new ProcessBuilder("busctl", "--address=" + daemon.address, "monitor", "--json=short")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            daemon.adopt(monitor);
            Thread.sleep(500);
            Process pollers = new ProcessBuilder("bash", "-c", "for i in $(seq 1 400); do busctl --address='"
                    + daemon.address + "' get-property org.gpupass1 /org/gpupass1/gpu/pci_0000_01_00_0 org.gpupass1.Gpu"
                    + " State 2>&1 | grep -v 'was not provided\\|not activatable' ; sleep 0.01; done")
                    .redirectErrorStream(true).start();
            daemon.adopt(pollers);
            daemon.launch("", Map.of(), null);
            String first = new String(pollers.getInputStream().readNBytes(40)).trim();
            assertFalse(first.contains("Unknown object") || first.contains("UnknownObject"),
                    "a caller that found the name found the objects too: " + first);
            assertTrue(first.startsWith("s \"host\""), first);
        }
    }
}
