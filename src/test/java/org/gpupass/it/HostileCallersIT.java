package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an unprivileged local user can do to the daemon started by the shipped launcher (-Xmx64m,
 * -XX:+ExitOnOutOfMemoryError): large messages and floods of calls from {@link HostileClient}, run as
 * {@code gpupass-test}, while root's calls go on. Needs root (setpriv); skips otherwise.
 */
@Timeout(300)
class HostileCallersIT {
    private static final String USER = AuthorizationIT.READER;

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** HostileClient as the unprivileged user, MODE ARGS... (the bus address goes second). */
    static Cmd hostile(Daemon daemon, String... args) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups",
                Daemon.java(), "-Xmx2g", "-XX:+UseSerialGC", "-cp", Daemon.BASE.resolve("target/test-classes") + ":"
                        + Daemon.JAR.toAbsolutePath(), HostileClient.class.getName()));
        c.add(args[0]);
        c.add(daemon.address);
        c.addAll(List.of(args).subList(1, args.length));
        return Cmd.run(c, Map.of(), 240);
    }

    private static long replies(Cmd out, String kind) {
        return out.out().lines().filter(l -> l.startsWith("REPLY " + kind + " "))
                .mapToLong(l -> Long.parseLong(l.split(" ")[2])).sum();
    }

    private static long refusedLines(Daemon daemon) {
        return daemon.log().lines().filter(l -> l.contains("Refused")).count();
    }

    @Test
    void calls_of_thirty_and_sixteen_megabytes_are_refused_while_roots_transitions_go_on() throws Exception {
        assumeTrue(root(), "needs root to run a caller as another user");
        AuthorizationIT.ensureUsers();
        try (Daemon daemon = Daemon.bus()) {
            daemon.launchWithLauncherFlags("", Map.of(), null);
            AtomicBoolean attacking = new AtomicBoolean(true);
            AtomicInteger rootOk = new AtomicInteger();
            List<String> rootFailed = new ArrayList<>();
            ExecutorService background = Executors.newSingleThreadExecutor(); // not the common pool: Cmd reads there
            CompletableFuture<Void> transitions = CompletableFuture.runAsync(() -> {
                while (attacking.get()) {
                    for (String method : List.of("Claim", "Release")) {
                        Cmd c = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager." + method, "string:01:00.0",
                                "string:root-vm");
                        if (c.ok()) {
                            rootOk.incrementAndGet();
                        } else {
                            synchronized (rootFailed) {
                                rootFailed.add(c.toString());
                            }
                        }
                    }
                }
            }, background);
            Cmd one = hostile(daemon, "big", "1", "30", "Claim");
            assertEquals(1, replies(one, "org.freedesktop.DBus.Error.LimitsExceeded"), one.toString());
            assertTrue(one.out().contains("at most 4096 bytes"), one.toString());
            Cmd ten = hostile(daemon, "big", "10", "16", "Claim");
            assertEquals(10, replies(ten, "org.freedesktop.DBus.Error.LimitsExceeded"), ten.toString());
            Cmd domains = hostile(daemon, "big", "10", "1.5", "ClaimDomain");
            assertEquals(10, replies(domains, "org.freedesktop.DBus.Error.LimitsExceeded"), domains.toString());
            assertTrue(daemon.process().isAlive(), daemon.log());
            attacking.set(false);
            transitions.join();
            background.shutdown();
            assertTrue(rootFailed.isEmpty(), rootFailed.toString());
            assertTrue(rootOk.get() >= 2, "root's claims and releases went on: " + rootOk.get());
            assertTrue(daemon.busctl("get-property", Daemon.NAME, Daemon.NVIDIA, "org.gpupass1.Gpu", "State").ok());
            assertTrue(daemon.status().contains("\"State\""));
            assertTrue(refusedLines(daemon) <= 21, daemon.log());
        }
    }

    @Test
    void a_flood_of_unprivileged_calls_does_not_fail_roots_calls_and_costs_a_few_log_lines() throws Exception {
        assumeTrue(root(), "needs root to run a caller as another user");
        AuthorizationIT.ensureUsers();
        try (Daemon daemon = Daemon.bus()) {
            daemon.launchWithLauncherFlags("", Map.of(), null);
            ExecutorService background = Executors.newFixedThreadPool(2); // not the common pool: Cmd reads there
            CompletableFuture<Cmd> flood = CompletableFuture.supplyAsync(() -> hostile(daemon, "flood", "24", "10",
                    "Release"), background);
            CompletableFuture<Cmd> domains = CompletableFuture.supplyAsync(() -> hostile(daemon, "flood", "8", "10",
                    "ClaimDomain"), background);
            Thread.sleep(3000);
            ExecutorService pool = Executors.newFixedThreadPool(30);
            List<CompletableFuture<Cmd>> calls = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String method = i % 2 == 0 ? "Claim" : "Release";
                calls.add(CompletableFuture.supplyAsync(() -> daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager."
                        + method, "string:01:00.0", "string:root-vm"), pool));
            }
            List<Cmd> failed = calls.stream().map(CompletableFuture::join).filter(c -> !c.ok()).toList();
            pool.shutdown();
            Cmd out = flood.join();
            Cmd big = domains.join();
            background.shutdown();
            assertTrue(failed.isEmpty(), failed.size() + " of root's 30 calls failed: " + failed);
            long denied = replies(out, "org.freedesktop.DBus.Error.AccessDenied")
                    + replies(big, "org.freedesktop.DBus.Error.AccessDenied");
            assertTrue(denied > 100, out + "\n" + big);
            assertEquals(0, replies(out, "timeout") + replies(big, "timeout"), out + "\n" + big);
            assertTrue(daemon.process().isAlive(), daemon.log());
            long lines = refusedLines(daemon);
            System.out.printf("flood: %d refusals answered, %d log lines; root's calls all answered%n", denied, lines);
            assertTrue(lines <= 40, lines + " lines for " + denied + " refusals");
            assertTrue(daemon.log().contains("more such line(s) not logged"), daemon.log());
        }
    }

    /**
     * Reads that want no reply are dropped before dbus-java queues them (on main 10 s of them from 8
     * connections left 30 MiB queued in the heap and Status waited 2.7 s), and a NameLost signal that did not
     * come from the bus does not end the daemon (on main it did: any user could make it exit).
     */
    @Test
    void a_flood_of_reads_and_a_forged_name_lost_signal_leave_the_daemon_serving() throws Exception {
        assumeTrue(root(), "needs root to run a caller as another user");
        AuthorizationIT.ensureUsers();
        try (Daemon daemon = Daemon.bus()) {
            daemon.launchWithLauncherFlags("", Map.of(), null);
            String owner = daemon.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                    "GetNameOwner", "s", Daemon.NAME).out().replaceAll("^s \"(.*)\"$", "$1");
            Cmd forged = Cmd.run(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "dbus-send",
                    "--bus=" + daemon.address, "--type=signal", "--dest=" + owner, "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameLost", "string:" + Daemon.NAME));
            assertTrue(forged.ok(), forged.toString());
            ExecutorService background = Executors.newSingleThreadExecutor();
            CompletableFuture<Cmd> reads = CompletableFuture.supplyAsync(() -> hostile(daemon, "reads", "8", "10", "-"),
                    background);
            Thread.sleep(3000);
            long start = System.nanoTime();
            assertTrue(daemon.status().contains("\"State\""));
            long statusMillis = (System.nanoTime() - start) / 1_000_000;
            Cmd out = reads.join();
            background.shutdown();
            assertTrue(replies(out, "sent") > 1000, out.toString());
            assertTrue(statusMillis < 1000, "Status took " + statusMillis + " ms during the flood");
            assertTrue(daemon.process().isAlive() && daemon.hasOwner(), daemon.log());
        }
    }
}
