package org.gpupass.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A libvirtd of its own for a test: session mode ({@code qemu:///session}) with HOME and the XDG dirs in
 * a temp dir, so it touches nothing of the machine's libvirt. libvirtd started as root would be the
 * system daemon (/etc/libvirt, /run/libvirt) whatever the environment says, so as root it runs as the
 * unprivileged test user; callers (root) reach it through its socket:
 * {@code qemu+unix:///session?socket=DIR/run/libvirt/libvirt-sock}.
 */
final class SessionLibvirt implements AutoCloseable {
    static final Path LIBVIRTD = Path.of("/usr/sbin/libvirtd");
    static final String TEST_USER = "gpupass-test";

    final Path dir;
    final String uri;
    private final Process process;

    private SessionLibvirt(Path dir, String uri, Process process) {
        this.dir = dir;
        this.uri = uri;
        this.process = process;
    }

    /** What is missing to run one here, or "" when nothing is. */
    static String missing() {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(LIBVIRTD)) {
            missing.add(LIBVIRTD + " (Debian: libvirt-daemon-system libvirt-daemon-driver-qemu)");
        }
        if (!onPath("virsh")) {
            missing.add("virsh (Debian: libvirt-clients)");
        }
        if (!onPath("qemu-system-x86_64")) {
            missing.add("qemu-system-x86_64 (Debian: qemu-system-x86)");
        }
        if (root() && !Cmd.run(List.of("getent", "passwd", TEST_USER)).ok()) {
            missing.add("the user " + TEST_USER + " (libvirtd runs as it; .ci/run creates it)");
        }
        return String.join(", ", missing);
    }

    static SessionLibvirt start() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "gpupass-libvirt-");
        dir.toFile().setExecutable(true, false);
        Path run = Files.createDirectories(dir.resolve("run"));
        Path home = Files.createDirectories(dir.resolve("home"));
        List<String> command = new ArrayList<>();
        if (root()) {
            for (Path p : List.of(run, home)) {
                Files.setOwner(p, p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(TEST_USER));
            }
            command.addAll(List.of("setpriv", "--reuid=" + TEST_USER, "--regid=" + TEST_USER, "--init-groups"));
        }
        // --timeout: gone by itself 10 minutes after its last client, should close() never run.
        command.addAll(List.of(LIBVIRTD.toString(), "--timeout", "600"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("libvirtd.log").toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL", "C", "HOME", home.toString(),
                "XDG_RUNTIME_DIR", run.toString(), "XDG_CONFIG_HOME", home.resolve(".config").toString(),
                "XDG_CACHE_HOME", home.resolve(".cache").toString(), "XDG_DATA_HOME", home.resolve(".local/share").toString()));
        Process p = pb.start();
        Path socket = run.resolve("libvirt/libvirt-sock");
        SessionLibvirt libvirt = new SessionLibvirt(dir, "qemu+unix:///session?socket=" + socket, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(socket) && libvirt.virsh("version").ok())) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String log = libvirt.log();
                libvirt.close();
                throw new AssertionError("libvirtd did not come up:\n" + log);
            }
            Thread.sleep(100);
        }
        return libvirt;
    }

    /** virsh against this libvirtd. */
    Cmd virsh(String... args) {
        List<String> c = new ArrayList<>(List.of("virsh", "--connect", uri));
        c.addAll(List.of(args));
        return Cmd.run(c, Map.of("LC_ALL", "C"), 60);
    }

    /** Defines a domain from XML (virsh define), so that libvirt fills it in as it would any domain. */
    void define(String xml) throws IOException {
        Path file = Files.createTempFile(dir, "domain", ".xml");
        Files.writeString(file, xml);
        Cmd defined = virsh("define", "--file", file.toString());
        if (!defined.ok()) {
            throw new AssertionError("virsh define: " + defined);
        }
    }

    /** The persistent definition as virsh dumpxml --inactive prints it. */
    String config(String domain) {
        Cmd c = virsh("dumpxml", "--inactive", "--domain", domain);
        if (!c.ok()) {
            throw new AssertionError("virsh dumpxml: " + c);
        }
        return c.out();
    }

    /** The folder where this libvirtd keeps its domains' XML files (libvirt's own /etc/libvirt/qemu). */
    Path domainFiles() {
        return dir.resolve("home/.config/libvirt/qemu");
    }

    String log() {
        try {
            return Files.readString(dir.resolve("libvirtd.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        // libvirtd leaves running domains' qemu processes behind when it stops: stop them first.
        if (process.isAlive()) {
            for (String name : virsh("list", "--name").out().lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
                virsh("destroy", "--domain", name);
            }
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
