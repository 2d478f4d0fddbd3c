package org.gpupass.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.cli.Gpupassctl;
import org.gpupass1.Manager;

/**
 * The newcomer's first command: a private bus, gpupassd on the simulated dual-gpu host, and a short tour
 * of the real API (Status, Claim, the signals, Release). No GPU, no root. Stops with Ctrl-C, or after the
 * tour with {@code --exit}.
 */
public final class Demo {
    private static final String USAGE = """
            Usage: ./demo [--exit] [--embedded-bus]
              --exit          stop after the tour instead of keeping the bus and daemon running
              --embedded-bus  use dbus-java's embedded bus even when dbus-daemon is installed
            """;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        List<String> options = List.of(args);
        if (options.contains("--help") || !List.of("--exit", "--embedded-bus").containsAll(options)) {
            System.out.print(USAGE);
            System.exit(options.contains("--help") ? 0 : 2);
        }
        Path dir = workDir();
        List<AutoCloseable> cleanup = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(cleanup, dir)));
        PrivateBus bus = PrivateBus.start(dir, options.contains("--embedded-bus"));
        cleanup.add(bus);
        say("Started %s at %s", bus.kind(), bus.address());
        Process daemon = startDaemon(bus.address());
        cleanup.add(0, () -> {
            daemon.destroy();
            daemon.waitFor(10, TimeUnit.SECONDS);
        });
        try (DBusConnection conn = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build()) {
            awaitName(conn, daemon);
            tour(conn, bus.address());
        }
        if (options.contains("--exit")) {
            System.exit(0);
        }
        say("gpupassd keeps running on %s; Ctrl-C stops it and the bus.", bus.address());
        daemon.waitFor();
        say("gpupassd exited with %d", daemon.exitValue());
    }

    private static void tour(DBusConnection conn, String address) throws Exception {
        Manager manager = conn.getRemoteObject("org.gpupass1", "/org/gpupass1", Manager.class);
        String ctl = "java -cp target/gpupassd.jar org.gpupass.cli.Gpupassctl --bus=" + address;

        step("1. Status: the simulated desktop (Intel iGPU drives the display, NVIDIA card is free)");
        new Gpupassctl(System.out, System.err).run("--bus=" + address, "status");

        step("2. Claim(\"\", \"demo-vm\"): \"\" means the one claimable GPU; the signals arrive as it moves");
        conn.addSigHandler(Manager.StateChanged.class, s -> signal("StateChanged %s %s -> %s holder='%s'",
                s.address(), s.oldState(), s.newState(), s.holder()));
        conn.addSigHandler(Manager.TransitionFailed.class, s -> signal("TransitionFailed %s %s: %s", s.address(),
                s.error(), s.message()));
        conn.addSigHandler(Properties.PropertiesChanged.class, s -> signal("PropertiesChanged %s %s",
                s.getPath().equals("/org/gpupass1") ? "manager" : s.getPath().substring(s.getPath().lastIndexOf('/') + 1),
                brief(s.getPropertiesChanged())));
        long start = System.nanoTime();
        DBusPath gpu = manager.Claim("", "demo-vm");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Thread.sleep(300);
        say("Claim returned %s after %d ms, when the transition had finished", gpu.getPath(), ms);

        step("3. The GPU object's properties (org.freedesktop.DBus.Properties.GetAll)");
        Properties props = conn.getRemoteObject("org.gpupass1", gpu.getPath(), Properties.class);
        props.GetAll("org.gpupass1.Gpu").forEach((k, v) -> System.out.printf("   %-11s %s%n", k, v.getValue()));

        step("4. Release(\"01:00.0\", \"demo-vm\"): any function's address, short or full, names the GPU");
        manager.Release("01:00.0", "demo-vm");
        Thread.sleep(300);
        say("Released.");

        step("5. Your turn (another terminal, while this runs)");
        System.out.println("""
                   busctl --address=%1$s tree org.gpupass1
                   busctl --address=%1$s call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status --json=pretty
                   busctl --address=%1$s get-property org.gpupass1 /org/gpupass1/gpu/pci_0000_01_00_0 org.gpupass1.Gpu State
                   busctl --address=%1$s --timeout=300 call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11
                   gdbus monitor -a %1$s -d org.gpupass1
                   %2$s status
                   %2$s claim 01:00.0 win11
                   %2$s release 01:00.0 win11
                   %2$s monitor
                The interface, documented: src/main/resources/org/gpupass1/org.gpupass1.Manager.xml and org.gpupass1.Gpu.xml.
                """.formatted(address, ctl));
    }

    private static Process startDaemon(String address) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "org.gpupass.Main", "--bus=" + address, "--simulate")
                .redirectErrorStream(true);
        pb.environment().remove("NOTIFY_SOCKET");
        Process p = pb.start();
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    System.out.println("   gpupassd | " + line);
                }
            } catch (IOException e) {
                // the daemon is gone
            }
        }, "daemon-log");
        pump.setDaemon(true);
        pump.start();
        say("Started gpupassd (pid %d) on the simulated dual-gpu host", p.pid());
        return p;
    }

    private static void awaitName(DBusConnection conn, Process daemon) throws Exception {
        DBus bus = conn.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!bus.NameHasOwner("org.gpupass1")) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("gpupassd did not come up (see its log lines above)");
            }
            Thread.sleep(20);
        }
    }

    private static String brief(Map<String, Variant<?>> changed) {
        StringBuilder out = new StringBuilder();
        changed.forEach((k, v) -> out.append(out.length() == 0 ? "" : ", ").append(k).append('=').append(v.getValue()));
        return out.toString();
    }

    private static Path workDir() throws IOException {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime)
                : Path.of(System.getProperty("java.io.tmpdir"));
        return Files.createTempDirectory(base, "gpupass-demo-");
    }

    private static void stop(List<AutoCloseable> cleanup, Path dir) {
        for (AutoCloseable c : cleanup) {
            try {
                c.close();
            } catch (Exception e) {
                // best effort at exit
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }

    private static void step(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private static void say(String format, Object... args) {
        System.out.println(":: " + String.format(format, args));
    }

    private static synchronized void signal(String format, Object... args) {
        System.out.println("   signal   | " + String.format(format, args));
    }
}
