package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real daemon process ({@code java -jar target/gpupassd.jar}) on a private system-like bus that loads
 * the shipped dbus-policy/, driven by busctl, gdbus and dbus-send.
 */
final class Daemon implements AutoCloseable {
    static final String NAME = "org.gpupass1";
    static final String MANAGER = "/org/gpupass1";
    static final String NVIDIA = "/org/gpupass1/gpu/pci_0000_01_00_0";
    static final String INTEL = "/org/gpupass1/gpu/pci_0000_00_02_0";
    static final Path JAR = Path.of(System.getProperty("gpupass.jar", "target/gpupassd.jar"));
    static final Path BASE = Path.of(System.getProperty("gpupass.basedir", "."));
    /** The bus policy folder the private bus loads: the checkout's, or an installed one. */
    static final Path POLICY = Path.of(System.getProperty("gpupass.policy.dir", BASE.resolve("dbus-policy").toString()));
    /** The polkit action file AuthorizationIT installs for polkitd. */
    static final Path POLKIT_ACTION = Path.of(System.getProperty("gpupass.polkit.action",
            BASE.resolve("polkit/org.gpupass1.policy").toString()));

    final Path dir;
    final String address;
    private final List<Process> extra = new ArrayList<>();
    private Process process;
    private Path log;

    private Daemon(Path dir, String address) {
        this.dir = dir;
        this.address = address;
    }

    /** A private bus only (world-traversable dir, so other users can connect). */
    static Daemon bus() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "gpupass-it-");
        dir.toFile().setExecutable(true, false);
        dir.toFile().setReadable(true, false);
        Cmd started = Cmd.run(List.of("bash", BASE.resolve("src/test/shell/private-bus.sh").toString(), "start",
                dir.resolve("bus").toString(), POLICY.toString()));
        assertTrue(started.ok(), "private bus: " + started);
        return new Daemon(dir, started.out().lines().findFirst().orElseThrow());
    }

    /** A private bus and the daemon on the simulated host {@code simulate} ("" = dual-gpu). */
    static Daemon start(String simulate) throws Exception {
        return start(simulate, Map.of(), null);
    }

    static Daemon start(String simulate, Map<String, String> env, String config) throws Exception {
        Daemon d = bus();
        d.launch(simulate, env, config);
        return d;
    }

    void launch(String simulate, Map<String, String> env, String config) throws Exception {
        launch(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", JAR.toString()), simulate, env,
                config);
    }

    /** The daemon started by the shipped launcher, bin/gpupassd, with its JVM flags (-Xmx64m, exit on OOM). */
    void launchWithLauncherFlags(String simulate, Map<String, String> env, String config) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("GPUPASS_JAR", JAR.toAbsolutePath().toString());
        all.put("GPUPASS_JAVA", java());
        all.put("GPUPASS_CDS", "0");
        all.put("CACHE_DIRECTORY", dir.resolve("cache").toString());
        launch(List.of("sh", BASE.resolve("bin/gpupassd").toString()), simulate, all, config);
    }

    private void launch(List<String> start, String simulate, Map<String, String> env, String config) throws Exception {
        List<String> command = new ArrayList<>(start);
        command.addAll(List.of("--bus=" + address, simulate.isEmpty() ? "--simulate" : "--simulate=" + simulate,
                "--state-dir=" + dir.resolve("state")));
        Path conf = dir.resolve("gpupassd.conf");
        Files.writeString(conf, config == null ? "" : config);
        command.add("--config=" + conf);
        log = dir.resolve("daemon.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("NOTIFY_SOCKET");
        pb.environment().putAll(env);
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!hasOwner()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("gpupassd did not come up:\n" + log());
            }
            Thread.sleep(25);
        }
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    Process process() {
        return process;
    }

    String log() {
        try {
            return log == null ? "" : Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    boolean hasOwner() {
        return "b true".equals(busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "NameHasOwner", "s", NAME).out());
    }

    Cmd busctl(String... args) {
        List<String> c = Cmd.list("busctl", "--address=" + address, "--timeout=60");
        c.addAll(List.of(args));
        return Cmd.run(c);
    }

    Cmd gdbus(String... args) {
        List<String> c = Cmd.list("gdbus", args[0], "--address", address);
        c.addAll(List.of(args).subList(1, args.length));
        return Cmd.run(c);
    }

    Cmd dbusSend(String path, String member, String... args) {
        List<String> c = Cmd.list("dbus-send", "--bus=" + address, "--print-reply", "--reply-timeout=60000",
                "--dest=" + NAME, path, member);
        c.addAll(List.of(args));
        return Cmd.run(c);
    }

    /** busctl as another user (setpriv, with that user's groups). */
    Cmd busctlAs(String user, String... args) {
        List<String> c = Cmd.list("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "busctl",
                "--address=" + address, "--timeout=60");
        c.addAll(List.of(args));
        return Cmd.run(c);
    }

    /** Manager method via busctl. */
    Cmd call(String method, String signature, String... args) {
        List<String> c = new ArrayList<>(List.of("call", NAME, MANAGER, "org.gpupass1.Manager", method));
        if (!signature.isEmpty()) {
            c.add(signature);
            c.addAll(List.of(args));
        }
        return busctl(c.toArray(String[]::new));
    }

    /** Status as busctl --json=short prints it. */
    String status() {
        return busctl("call", NAME, MANAGER, "org.gpupass1.Manager", "Status", "--json=short").out();
    }

    String gpuProperty(String path, String property) {
        return busctl("get-property", NAME, path, "org.gpupass1.Gpu", property).out();
    }

    /** Keeps a helper process (polkitd, gdbus monitor) to stop at close. */
    void adopt(Process p) {
        extra.add(p);
    }

    /** SIGTERM, and the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("gpupassd did not stop on SIGTERM:\n" + log());
        }
        return process.exitValue();
    }

    void stopBus() {
        Cmd.run(List.of("bash", BASE.resolve("src/test/shell/private-bus.sh").toString(), "stop",
                dir.resolve("bus").toString()));
    }

    @Override
    public void close() throws Exception {
        for (Process p : extra) {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        stopBus();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
