package org.gpupass.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A private dbus-daemon listening on a unix socket path in a temp directory (the native-unixsocket
 * transport cannot use abstract sockets), with a permissive policy.
 */
final class PrivateBus implements AutoCloseable {
    static final Path DBUS_DAEMON = Path.of("/usr/bin/dbus-daemon");

    final String address;
    private final Process process;

    private PrivateBus(Process process, String address) {
        this.process = process;
        this.address = address;
    }

    /** Starts one; null (the reason printed) when it cannot run here. */
    static PrivateBus start(Path dir) {
        if (!Files.isExecutable(DBUS_DAEMON)) {
            System.out.println("PrivateBus: no " + DBUS_DAEMON);
            return null;
        }
        try {
            Path config = dir.resolve("bus.conf");
            Files.writeString(config, """
                    <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                     "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                    <busconfig>
                      <type>gpupass-test</type>
                      <listen>unix:path=%s</listen>
                      <auth>EXTERNAL</auth>
                      <policy context="default">
                        <allow send_destination="*" eavesdrop="true"/>
                        <allow eavesdrop="true"/>
                        <allow own="*"/>
                      </policy>
                    </busconfig>
                    """.formatted(dir.resolve("bus.socket")));
            Process p = new ProcessBuilder(DBUS_DAEMON.toString(), "--config-file=" + config, "--print-address=1",
                    "--nofork").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String address = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            if (address == null || address.isBlank()) {
                p.destroyForcibly();
                System.out.println("PrivateBus: dbus-daemon printed no address (exit " + p.waitFor() + ")");
                return null;
            }
            return new PrivateBus(p, address.strip());
        } catch (Exception e) {
            System.out.println("PrivateBus: cannot start dbus-daemon: " + e);
            return null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
