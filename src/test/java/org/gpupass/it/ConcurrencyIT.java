package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.Introspectable;
import org.freedesktop.dbus.interfaces.Properties;
import org.gpupass1.Manager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Racing clients, and reads that answer at once while claims queue and a kernel write hangs. */
@Timeout(180)
class ConcurrencyIT {

    @Test
    void eight_clients_racing_for_one_gpu_make_one_winner() throws Exception {
        try (Daemon daemon = Daemon.start("")) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<CompletableFuture<Cmd>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String holder = "vm" + i;
                calls.add(CompletableFuture.supplyAsync(() -> daemon.dbusSend(Daemon.MANAGER,
                        "org.gpupass1.Manager.Claim", "string:01:00.0", "string:" + holder), pool));
            }
            List<Cmd> results = calls.stream().map(CompletableFuture::join).toList();
            pool.shutdown();
            List<Cmd> won = results.stream().filter(Cmd::ok).toList();
            assertEquals(1, won.size(), results.toString());
            String holder = daemon.gpuProperty(Daemon.NVIDIA, "Holder");
            for (Cmd lost : results) {
                if (!lost.ok()) {
                    assertTrue(lost.err().startsWith("Error org.gpupass1.Error.AlreadyClaimed:"), lost.toString());
                    assertTrue(holder.contains(lost.err().replaceAll(".*claimed by ([^ ]+).*", "$1")), lost.toString());
                }
            }
            assertEquals("s \"vfio\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
        }
    }

    @Test
    void status_get_and_introspect_answer_at_once_while_claims_queue_behind_a_hung_write() throws Exception {
        // The hung write must outlast the measurement even on a loaded machine, and end before the callers' 60 s.
        String config = "write_timeout = 40s\nlock_timeout = 60s\n";
        try (Daemon daemon = Daemon.start("", Map.of("GPUPASSD_SIM_FAULTS", "hang:SET_OVERRIDE:0000:01:00.0"), config);
             DBusConnection conn = DBusConnectionBuilder.forAddress(daemon.address).withShared(false).build()) {
            Manager manager = conn.getRemoteObject(Daemon.NAME, Daemon.MANAGER, Manager.class);
            Properties gpu = conn.getRemoteObject(Daemon.NAME, Daemon.NVIDIA, Properties.class);
            Introspectable intro = conn.getRemoteObject(Daemon.NAME, Daemon.NVIDIA, Introspectable.class);
            ExecutorService pool = Executors.newFixedThreadPool(10);
            List<CompletableFuture<Cmd>> claims = new ArrayList<>();
            claims.add(CompletableFuture.supplyAsync(() -> daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim",
                    "string:01:00.0", "string:first"), pool));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!"claiming".equals(gpu.Get("org.gpupass1.Gpu", "State"))) {
                assertTrue(System.nanoTime() < deadline, "the first claim did not start");
                Thread.sleep(20);
            }
            for (int i = 0; i < 9; i++) {
                String holder = "queued" + i;
                claims.add(CompletableFuture.supplyAsync(() -> daemon.dbusSend(Daemon.MANAGER,
                        "org.gpupass1.Manager.Claim", "string:01:00.0", "string:" + holder), pool));
            }
            Thread.sleep(1000);
            long[] millis = new long[60];
            for (int i = 0; i < millis.length; i++) {
                long start = System.nanoTime();
                manager.Status();
                gpu.Get("org.gpupass1.Gpu", "State");
                gpu.GetAll("org.gpupass1.Gpu");
                intro.Introspect();
                millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                Thread.sleep(20);
            }
            Cmd busctl = daemon.busctl("get-property", Daemon.NAME, Daemon.NVIDIA, "org.gpupass1.Gpu", "State");
            assertEquals("s \"claiming\"", busctl.out(), "still hung while we measured");
            Arrays.sort(millis);
            long median = millis[millis.length / 2];
            long max = millis[millis.length - 1];
            System.out.printf("reads while 10 claims wait behind a hung write: median %d ms, max %d ms%n", median, max);
            assertTrue(median < 100 && max < 1000, "median " + median + " ms, max " + max + " ms");
            assertTrue(daemon.busctl("introspect", Daemon.NAME, Daemon.MANAGER).ok());

            Cmd first = claims.get(0).get(60, TimeUnit.SECONDS);
            assertTrue(first.err().startsWith("Error org.gpupass1.Error.Stuck:"), first.toString());
            assertEquals("s \"stuck\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
            for (CompletableFuture<Cmd> queued : claims.subList(1, claims.size())) {
                Cmd c = queued.get(60, TimeUnit.SECONDS);
                assertTrue(!c.ok() && c.err().startsWith("Error org.gpupass1.Error."), c.toString());
            }
            pool.shutdown();
        }
    }

    /**
     * The promise of lock_timeout: each caller waits up to it for a transition that holds the lock, however
     * many wait, and then gets Busy with LastError and a TransitionFailed signal (on main, callers after the
     * 8th got Busy at once, with neither).
     */
    @Test
    void every_caller_waits_for_the_lock_up_to_lock_timeout_then_gets_busy_with_its_signal() throws Exception {
        String config = "write_timeout = 30s\nlock_timeout = 3s\n";
        try (Daemon daemon = Daemon.start("", Map.of("GPUPASSD_SIM_FAULTS", "hang:SET_OVERRIDE:0000:01:00.0"), config)) {
            java.nio.file.Path signals = daemon.dir.resolve("signals.txt");
            Process monitor = new ProcessBuilder("gdbus", "monitor", "--address", daemon.address, "--dest", Daemon.NAME)
                    .redirectErrorStream(true).redirectOutput(signals.toFile()).start();
            daemon.adopt(monitor);
            ExecutorService pool = Executors.newFixedThreadPool(13);
            CompletableFuture<Cmd> first = CompletableFuture.supplyAsync(() -> daemon.dbusSend(Daemon.MANAGER,
                    "org.gpupass1.Manager.Claim", "string:01:00.0", "string:first"), pool);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!daemon.gpuProperty(Daemon.NVIDIA, "State").equals("s \"claiming\"")) {
                assertTrue(System.nanoTime() < deadline, "the first claim did not start");
                Thread.sleep(20);
            }
            int callers = 12;
            List<CompletableFuture<long[]>> waits = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                String holder = "waiting" + i;
                waits.add(CompletableFuture.supplyAsync(() -> {
                    long start = System.nanoTime();
                    Cmd c = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0",
                            "string:" + holder);
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    return new long[] {c.err().startsWith("Error org.gpupass1.Error.Busy:") ? 1 : 0, ms};
                }, pool));
            }
            List<long[]> results = waits.stream().map(CompletableFuture::join).toList();
            for (long[] r : results) {
                assertEquals(1, r[0], "Busy");
                assertTrue(r[1] >= 2_500, "waited " + r[1] + " ms, lock_timeout is 3 s");
            }
            Thread.sleep(500);
            long busySignals = java.nio.file.Files.readAllLines(signals).stream()
                    .filter(l -> l.contains("TransitionFailed") && l.contains("'org.gpupass1.Error.Busy'")).count();
            assertEquals(callers, busySignals, "a TransitionFailed(Busy) for each caller");
            assertTrue(daemon.gpuProperty(Daemon.NVIDIA, "LastError").contains("3"), "LastError tells of the wait");
            first.get(60, TimeUnit.SECONDS);
            pool.shutdown();
        }
    }
}
