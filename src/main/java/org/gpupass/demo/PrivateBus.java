package org.gpupass.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.bin.EmbeddedDBusDaemon;

/**
 * A throwaway bus on {@code unix:path=DIR/bus} for the demo and the tests: a dbus-daemon when one is
 * installed, else dbus-java's embedded bus in this process (it cannot tell callers' uids apart: it
 * reports uid 0 for all). Its policy lets anyone own and call anything: the shipped policy is tested
 * on buses started by src/test/shell/private-bus.sh.
 */
public final class PrivateBus implements AutoCloseable {
    private final String address;
    private final String kind;
    private final Process process;
    private final EmbeddedDBusDaemon embedded;

    private PrivateBus(String address, String kind, Process process, EmbeddedDBusDaemon embedded) {
        this.address = address;
        this.kind = kind;
        this.process = process;
        this.embedded = embedded;
    }

    public static PrivateBus start(Path dir, boolean preferEmbedded) throws IOException {
        Path socket = dir.resolve("bus");
        String daemon = preferEmbedded ? null : onPath("dbus-daemon");
        if (daemon == null) {
            EmbeddedDBusDaemon bus = new EmbeddedDBusDaemon("unix:path=" + socket + ",listen=true");
            bus.startInBackgroundAndWait(10_000);
            return new PrivateBus("unix:path=" + socket, "dbus-java's embedded bus", null, bus);
        }
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>session</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow send_destination="*" eavesdrop="true"/>
                    <allow eavesdrop="true"/>
                    <allow own="*"/>
                  </policy>
                </busconfig>
                """.formatted(socket));
        Process p = new ProcessBuilder(daemon, "--config-file=" + config, "--print-address=1", "--nofork")
                .redirectError(dir.resolve("bus.log").toFile()).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            p.destroy();
            throw new IOException("dbus-daemon did not start; see " + dir.resolve("bus.log"));
        }
        return new PrivateBus("unix:path=" + socket, "a private dbus-daemon", p, null);
    }

    public String address() {
        return address;
    }

    public String kind() {
        return kind;
    }

    private static String onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        if (process != null) {
            process.destroy();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (embedded != null) {
            embedded.close();
        }
    }
}
