package org.gpupass.cli.libvirt;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * libvirt as gpupassctl reaches it: the {@code virsh} program, one process per call, always with
 * {@code --connect URI}. virsh rather than libvirt's C API because the project's libraries are fixed
 * (no JNA binding of libvirt) and virsh is installed wherever libvirt is used by hand. Only the CLI
 * uses this, never the daemon or the hook: the daemon must not depend on libvirt, and a hook that
 * called back into libvirt would deadlock it.
 */
public final class Virsh {
    public static final String DEFAULT_URI = "qemu:///system";

    private final Path program;
    private final String uri;
    private final long timeoutMs;

    private Virsh(Path program, String uri, long timeoutMs) {
        this.program = program;
        this.uri = uri;
        this.timeoutMs = timeoutMs;
    }

    /**
     * virsh from {@code path} (a PATH value), for {@code uri}; each call may take {@code timeoutMs}.
     *
     * @throws LibvirtException VIRSH_MISSING when no directory of the PATH has an executable virsh
     */
    public static Virsh find(String path, String uri, long timeoutMs) throws LibvirtException {
        for (String dir : (path == null ? "" : path).split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "virsh");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return new Virsh(candidate, uri, timeoutMs);
            }
        }
        throw new LibvirtException(LibvirtException.Kind.VIRSH_MISSING, "virsh is not installed (not on the PATH): "
                + "attach and detach edit the domain through libvirt's virsh (Debian/Ubuntu: apt install "
                + "libvirt-clients; Fedora: dnf install libvirt-client)");
    }

    public String uri() {
        return uri;
    }

    /** The domain's XML: the running definition when it runs, else the persistent one. */
    public String dumpxml(String domain) throws LibvirtException {
        return run(List.of("dumpxml", "--domain", domain), domain);
    }

    /**
     * The persistent definition whole, passwords included ({@code --security-info}): what {@link #define}
     * may be given back; without them a define would drop a VNC or SPICE password.
     */
    public String persistentXml(String domain) throws LibvirtException {
        return run(List.of("dumpxml", "--domain", domain, "--inactive", "--security-info"), domain);
    }

    /** {@code virsh define}: replaces the persistent definition of the domain {@code file} names. */
    public void define(String domain, Path file) throws LibvirtException {
        run(List.of("define", "--file", file.toString()), domain);
    }

    /** {@code virsh attach-device}: adds the device in {@code file} to the persistent config and/or the running domain. */
    public void attachDevice(String domain, Path file, boolean config, boolean live) throws LibvirtException {
        run(deviceArgs("attach-device", domain, file, config, live), domain);
    }

    /** {@code virsh detach-device}: removes the device libvirt matches to {@code file} (a hostdev by its source address). */
    public void detachDevice(String domain, Path file, boolean config, boolean live) throws LibvirtException {
        run(deviceArgs("detach-device", domain, file, config, live), domain);
    }

    private static List<String> deviceArgs(String command, String domain, Path file, boolean config, boolean live) {
        List<String> args = new ArrayList<>(List.of(command, "--domain", domain, "--file", file.toString()));
        if (config) {
            args.add("--config");
        }
        if (live) {
            args.add("--live");
        }
        return args;
    }

    /** Runs {@code virsh --connect URI ARGS}; returns its stdout, or throws with its error words. */
    private String run(List<String> args, String domain) throws LibvirtException {
        List<String> command = new ArrayList<>(List.of(program.toString(), "--quiet", "--connect", uri));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // English messages: they are how a refused connection and a missing domain are told apart.
        pb.environment().put("LC_ALL", "C");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LibvirtException(LibvirtException.Kind.VIRSH_MISSING, "cannot run " + program + ": " + e.getMessage());
        }
        // Both streams drained apart from the wait, so that a virsh that hangs cannot outlast --timeout.
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String text;
        try {
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new LibvirtException(LibvirtException.Kind.FAILED, "virsh " + args.get(0) + " did not finish within "
                        + timeoutMs / 1000 + " s (--timeout)");
            }
            if (p.exitValue() != 0) {
                throw failure(args.get(0), domain, err.get());
            }
            text = out.get();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LibvirtException(LibvirtException.Kind.FAILED, "interrupted while virsh " + args.get(0) + " ran");
        } catch (ExecutionException e) {
            throw new LibvirtException(LibvirtException.Kind.FAILED, "cannot read virsh's output: " + e.getCause());
        }
        return text;
    }

    /** virsh's error lines as a typed failure: connection, missing domain, or anything else libvirt said. */
    LibvirtException failure(String what, String domain, String stderr) {
        String said = said(stderr);
        if (stderr.contains("failed to connect to the hypervisor")) {
            return new LibvirtException(LibvirtException.Kind.UNREACHABLE, "cannot connect to libvirt at " + uri + " ("
                    + said + "): is libvirtd (or virtqemud) running? As a user, " + DEFAULT_URI + " needs root, the "
                    + "libvirt group or polkit; --connect=URI for another one");
        }
        if (stderr.contains("failed to get domain") || stderr.contains("Domain not found")) {
            return new LibvirtException(LibvirtException.Kind.NO_SUCH_DOMAIN, "libvirt at " + uri + " has no domain '"
                    + domain + "' (virsh --connect " + uri + " list --all lists them)");
        }
        return new LibvirtException(LibvirtException.Kind.FAILED, "virsh " + what + ": " + said);
    }

    /** The lines virsh printed, one line, without its "error: " prefixes. */
    private static String said(String stderr) {
        List<String> lines = new ArrayList<>();
        for (String line : stderr.strip().split("\n")) {
            String l = line.strip().replaceFirst("^error: ", "");
            // "Failed to attach device from FILE" names our temp file, gone by the time anyone reads it.
            if (!l.isEmpty() && !l.matches("Failed to (attach device|detach device|define domain) from .*")) {
                lines.add(l);
            }
        }
        return lines.isEmpty() ? "no message" : String.join(": ", lines);
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
