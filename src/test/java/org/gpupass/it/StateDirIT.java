package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The real daemon over a state directory that is full (a small tmpfs, as root) or holds hostile files,
 * with the launcher's heap flags.
 */
class StateDirIT {
    /** The launcher's heap limit and its exit on OutOfMemoryError (bin/gpupassd). */
    private static final Map<String, String> LAUNCHER_HEAP = Map.of("JAVA_TOOL_OPTIONS",
            "-Xmx64m -XX:+ExitOnOutOfMemoryError");
    private static final String CLAIM_FILE = "claims/pci_0000_01_00_0.claim";

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Fills the file system with 4 KiB files; with {@code keep} pages left free (tmpfs counts whole pages). */
    private static void fill(Path dir, int keep) throws IOException {
        int n = 0;
        while (true) {
            Path f = dir.resolve("fill-" + n);
            try {
                Files.write(f, new byte[4096]);
                n++;
            } catch (IOException full) {
                Files.deleteIfExists(f);
                break;
            }
        }
        for (int i = 0; i < keep; i++) {
            Files.delete(dir.resolve("fill-" + i));
        }
    }

    private static void unfill(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("fill-")).toList()) {
                Files.delete(f);
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("fill-")).sorted().toList();
        }
    }

    /** dual-gpu with the NVIDIA card and its audio on vfio-pci: the machine as a claim left it. */
    private static Path hostOnVfio(Path dir) throws IOException {
        String text = new String(StateDirIT.class.getResourceAsStream("/org/gpupass/sim/dual-gpu.host").readAllBytes())
                .replaceAll("(0000:01:00\\.[01] .*)driver=(nvidia|snd_hda_intel)", "$1driver=vfio-pci");
        Path file = dir.resolve("on-vfio.host");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void a_claim_that_cannot_be_recorded_fails_and_a_restart_shows_what_the_caller_was_told() throws Exception {
        assumeTrue(root(), "needs root to mount a small tmpfs as the state directory");
        Daemon d = Daemon.bus();
        Path state = d.dir.resolve("state");
        Files.createDirectories(state);
        assertTrue(Cmd.run(List.of("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", state.toString())).ok());
        try {
            d.launch("", LAUNCHER_HEAP, null);
            // Room for the intent only: the claim's steps go through, its record does not fit.
            fill(state, 1);
            Cmd claim = d.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0", "string:win11");
            assertFalse(claim.ok(), claim.toString());
            assertTrue(claim.err().startsWith("Error org.gpupass1.Error.TransitionFailed: claim 0000:01:00.0 for "
                    + "win11 went through but cannot be recorded in the state directory (No space left on device); "
                    + "rolled back"), claim.toString());
            assertEquals("s \"host\"", d.gpuProperty(Daemon.NVIDIA, "State"));
            assertEquals("s \"\"", d.gpuProperty(Daemon.NVIDIA, "Holder"));
            assertTrue(d.gpuProperty(Daemon.NVIDIA, "LastError").contains("No space left on device"));
            assertEquals(List.of(), names(state.resolve("claims")), "no claim file, no temporary file");
            assertEquals(List.of("claims", "stuck", "transition.lock"), names(state), "no intent, no temporary file");

            // No room at all: the claim does not start, and leaves nothing behind.
            fill(state, 0);
            Cmd notStarted = d.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0",
                    "string:win11");
            assertTrue(notStarted.err().contains("not started: cannot write the state directory: No space left on "
                    + "device"), notStarted.toString());
            assertEquals(List.of("claims", "stuck", "transition.lock"), names(state));

            unfill(state);
            assertTrue(d.call("Claim", "ss", "01:00.0", "win11").ok(), "room again");
            assertTrue(Files.isRegularFile(state.resolve(CLAIM_FILE)));
            fill(state, 0);
            assertEquals(0, d.stop());

            // The restart on the host as the claim left it: the holder is what the caller was told.
            d.launch(hostOnVfio(d.dir).toString(), LAUNCHER_HEAP, null);
            assertEquals("s \"vfio\"", d.gpuProperty(Daemon.NVIDIA, "State"));
            assertEquals("s \"win11\"", d.gpuProperty(Daemon.NVIDIA, "Holder"), d.log());
            Cmd other = d.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0", "string:other");
            assertTrue(other.err().startsWith("Error org.gpupass1.Error.AlreadyClaimed"), other.toString());
            assertEquals(0, d.stop());
        } finally {
            Cmd.run(List.of("umount", state.toString()));
            d.close();
        }
    }

    @Test
    void huge_and_non_regular_state_files_are_moved_aside_and_the_daemon_starts() throws Exception {
        Daemon d = Daemon.bus();
        try {
            Path state = d.dir.resolve("state");
            Files.createDirectories(state.resolve("claims"));
            try (RandomAccessFile f = new RandomAccessFile(state.resolve(CLAIM_FILE).toFile(), "rw")) {
                f.setLength(3L << 30);
            }
            assertTrue(Cmd.run(List.of("mkfifo", state.resolve("claims/pci_0000_00_02_0.claim").toString())).ok());
            Files.createSymbolicLink(state.resolve("intent"), Path.of("/dev/zero"));
            d.launch("", LAUNCHER_HEAP, null);
            String log = d.log();
            for (String file : List.of("pci_0000_01_00_0.claim", "pci_0000_00_02_0.claim", "intent")) {
                assertTrue(log.contains(file + " is unreadable") && log.contains("moved to " + file + ".corrupt-"),
                        log);
            }
            assertTrue(d.call("Claim", "ss", "01:00.0", "win11").ok(), d.log());
            assertEquals("s \"win11\"", d.gpuProperty(Daemon.NVIDIA, "Holder"));
        } finally {
            d.close();
        }
    }
}
