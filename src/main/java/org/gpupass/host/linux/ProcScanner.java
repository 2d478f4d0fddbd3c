package org.gpupass.host.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.gpupass.host.NodeHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the processes that have given device nodes open, by reading {@code /proc/PID/fd} links.
 *
 * <p>Link targets are compared as the kernel writes them ({@code /dev/dri/card1}), whatever the root.
 * A process that exits during the scan is simply not reported; one whose fds cannot be read (not
 * root) is skipped with a DEBUG line.
 */
final class ProcScanner {
    private static final Logger LOG = LoggerFactory.getLogger(ProcScanner.class);

    private final Path proc;

    /** @param proc the proc mount, {@code /proc} on a real host */
    ProcScanner(Path proc) {
        this.proc = proc;
    }

    List<NodeHolder> holders(Collection<String> nodes) throws IOException {
        List<NodeHolder> out = new ArrayList<>();
        if (nodes.isEmpty()) {
            return out;
        }
        Set<String> wanted = Set.copyOf(nodes);
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc)) {
            for (Path pidDir : pids) {
                String name = pidDir.getFileName().toString();
                int pid = parsePid(name);
                if (pid < 0) {
                    continue;
                }
                List<String> open = openNodes(pidDir, wanted);
                if (open.isEmpty()) {
                    continue;
                }
                NodeHolder[] who = describe(pid, pidDir, open);
                if (who != null) {
                    out.addAll(List.of(who));
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        out.sort(Comparator.comparingInt(NodeHolder::pid).thenComparing(NodeHolder::node));
        return out;
    }

    /** The wanted nodes this process has open, each once. */
    private static List<String> openNodes(Path pidDir, Set<String> wanted) {
        List<String> open = new ArrayList<>(1);
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pidDir.resolve("fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException | UnsupportedOperationException e) {
                    continue; // fd closed meanwhile, or not a link
                }
                if (wanted.contains(target) && !open.contains(target)) {
                    open.add(target);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // the process exited, is a kernel thread without fds we may read, or is not ours
            LOG.debug("skipping {}: {}", pidDir, e.toString());
        }
        return open;
    }

    /** One holder per node, or null when the process has gone meanwhile. */
    private static NodeHolder[] describe(int pid, Path pidDir, List<String> open) {
        String command;
        int uid;
        String unit;
        try {
            command = Files.readString(pidDir.resolve("comm"), StandardCharsets.UTF_8).strip();
            uid = realUid(statusHead(pidDir.resolve("status")));
            unit = unitOf(Files.readAllLines(pidDir.resolve("cgroup"), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            LOG.debug("process {} went away during the scan: {}", pid, e.toString());
            return null;
        }
        NodeHolder[] out = new NodeHolder[open.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = new NodeHolder(pid, command, uid, unit, open.get(i));
        }
        return out;
    }

    /** The lines of a status file up to and including "Uid:" (the eighth or so of about sixty). */
    private static List<String> statusHead(Path status) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(status, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("Uid:")) {
                    break;
                }
            }
        }
        return lines;
    }

    static int parsePid(String name) {
        if (name.isEmpty() || name.length() > 9) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** The real uid from {@code /proc/PID/status} ({@code Uid:\treal\teffective\tsaved\tfs}); -1 when absent. */
    static int realUid(List<String> status) {
        for (String line : status) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).trim().split("\\s+");
                try {
                    return Integer.parseInt(f[0]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * The systemd unit from {@code /proc/PID/cgroup}: in the cgroup v2 line ({@code 0::/...}), or else
     * the v1 {@code name=systemd} line, the last path component ending in .service or .scope; "" when none.
     */
    static String unitOf(List<String> cgroup) {
        String path = null;
        for (String line : cgroup) {
            if (line.startsWith("0::")) {
                path = line.substring(3);
                break;
            }
            int at = line.indexOf(":name=systemd:");
            if (at >= 0 && path == null) {
                path = line.substring(at + ":name=systemd:".length());
            }
        }
        if (path == null) {
            return "";
        }
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (parts[i].endsWith(".service") || parts[i].endsWith(".scope")) {
                return parts[i];
            }
        }
        return "";
    }
}
