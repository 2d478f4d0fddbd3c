package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.gpupass.model.GpuState;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.state.KeyValueFile;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * State files that are huge or not regular files: each is moved aside and the daemon starts, at once
 * (a FIFO or /dev/zero used to hang start-up, a 3 GiB file to end it with OutOfMemoryError).
 */
class StateFilesTest {
    private static final Duration AT_ONCE = Duration.ofSeconds(10);
    private static final String CLAIM = "claims/pci_0000_01_00_0.claim";

    @TempDir
    Path dir;

    private static void mkfifo(Path path) throws Exception {
        Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
    }

    private List<String> aside(String folder, String name) throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve(folder))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name + ".corrupt-")).toList();
        }
    }

    /** Opens the daemon's core over the state directory, within AT_ONCE. */
    private void startsOnDualGpu() {
        assertTimeoutPreemptively(AT_ONCE, () -> {
            GpuManager m = Hosts.manager(Hosts.builtIn("dual-gpu"), dir, Hosts.config(""));
            try {
                assertEquals(GpuState.HOST, m.gpu(NVIDIA).orElseThrow().state());
                m.claim("01:00.0", "win11");
                assertEquals("win11", m.gpu(NVIDIA).orElseThrow().holder());
            } finally {
                m.close();
            }
        });
    }

    @Test
    void aHugeSparseClaimFileIsMovedAside() throws Exception {
        new StateStore(dir);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(CLAIM).toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        startsOnDualGpu();
        assertEquals(1, aside("claims", "pci_0000_01_00_0.claim").size());
    }

    @Test
    void aClaimFileJustOverTheBoundIsMovedAside() throws Exception {
        StateStore store = new StateStore(dir);
        String text = "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n";
        Files.writeString(dir.resolve(CLAIM), text + "#".repeat(KeyValueFile.MAX_BYTES - text.length() + 1));
        assertEquals(Map.of(), store.loadClaims());
        Files.writeString(dir.resolve(CLAIM), text + "#".repeat(KeyValueFile.MAX_BYTES - text.length()));
        assertEquals(Map.of(NVIDIA, new ClaimRecord(NVIDIA, "x", 1, Map.of(), List.of(), List.of())),
                store.loadClaims());
    }

    @Test
    void anIntentLinkedToDevZeroIsMovedAsideNotFollowed() throws Exception {
        Files.createSymbolicLink(dir.resolve("intent"), Path.of("/dev/zero"));
        startsOnDualGpu();
        List<String> moved = aside(".", "intent");
        assertEquals(1, moved.size());
        assertTrue(Files.isSymbolicLink(dir.resolve(moved.get(0))), "the link itself is moved");
        assertTrue(Files.exists(Path.of("/dev/zero")));
    }

    @Test
    void aClaimLinkedToAValidClaimElsewhereIsNotFollowed() throws Exception {
        StateStore store = new StateStore(dir);
        Path elsewhere = dir.resolve("elsewhere.claim");
        Files.writeString(elsewhere, "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\n"
                + "unloaded_modules=\n");
        Files.createSymbolicLink(dir.resolve(CLAIM), elsewhere);
        assertEquals(Map.of(), store.loadClaims());
        assertTrue(Files.exists(elsewhere));
    }

    @Test
    void aClaimFileThatIsAFifoIsMovedAside() throws Exception {
        new StateStore(dir);
        mkfifo(dir.resolve(CLAIM));
        startsOnDualGpu();
        assertEquals(1, aside("claims", "pci_0000_01_00_0.claim").size());
    }

    @Test
    void anIntentThatIsAFifoIsMovedAside() throws Exception {
        mkfifo(dir.resolve("intent"));
        assertTimeoutPreemptively(AT_ONCE, () -> assertEquals(Optional.empty(), new StateStore(dir).loadIntent()));
        assertEquals(1, aside(".", "intent").size());
    }

    @Test
    void directoriesWhereFilesBelongAreMovedAside() throws Exception {
        new StateStore(dir);
        Files.createDirectories(dir.resolve(CLAIM));
        Files.createDirectories(dir.resolve("intent"));
        startsOnDualGpu();
        assertEquals(1, aside("claims", "pci_0000_01_00_0.claim").size());
        assertEquals(1, aside(".", "intent").size());
    }

    @Test
    void aLockFileThatIsAFifoOrADirectoryIsMovedAside() throws Exception {
        mkfifo(dir.resolve("transition.lock"));
        startsOnDualGpu();
        assertTrue(Files.isRegularFile(dir.resolve("transition.lock"), LinkOption.NOFOLLOW_LINKS));
        Files.delete(dir.resolve("transition.lock"));
        Files.createDirectories(dir.resolve("transition.lock/x"));
        startsOnDualGpu();
        assertEquals(2, aside(".", "transition.lock").size());
    }

    @Test
    void aFileWhereTheClaimsDirectoryBelongsIsMovedAside() throws Exception {
        Files.writeString(dir.resolve("claims"), "not a directory");
        Files.createSymbolicLink(dir.resolve("stuck"), Path.of("/"));
        startsOnDualGpu();
        assertTrue(Files.isDirectory(dir.resolve("claims"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isDirectory(dir.resolve("stuck"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(1, aside(".", "claims").size());
        assertEquals(1, aside(".", "stuck").size());
    }

    @Test
    void aClaimThatIsNotUtf8IsMovedAside() throws Exception {
        StateStore store = new StateStore(dir);
        Files.write(dir.resolve(CLAIM), new byte[] {'f', 'o', (byte) 0xff, '\n'});
        assertEquals(Map.of(), store.loadClaims());
        assertFalse(Files.exists(dir.resolve(CLAIM)));
    }

    @Test
    void aLeftoverTempFileOrLinkByThatNameIsReplacedNotWrittenThrough() throws Exception {
        StateStore store = new StateStore(dir);
        Path target = dir.resolve("target");
        Files.writeString(target, "keep");
        Files.createSymbolicLink(dir.resolve("claims/.pci_0000_01_00_0.claim.tmp"), target);
        store.saveClaim(new ClaimRecord(NVIDIA, "x", 1, Map.of(), List.of(), List.of()));
        assertEquals("keep", Files.readString(target));
        assertEquals("x", store.loadClaims().get(NVIDIA).holder());
    }
}
