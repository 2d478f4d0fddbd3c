package org.gpupass.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state directory's file format: {@code key=value} lines, UTF-8, in a fixed order; lists are
 * space-separated; at most {@link #MAX_BYTES}. Written atomically: temp file, fsync, rename, fsync of
 * the directory.
 */
public final class KeyValueFile {
    /** The most a state file may hold; a claim is a few hundred bytes. */
    public static final int MAX_BYTES = 64 * 1024;

    private KeyValueFile() {
    }

    static Map<String, String> parse(String text) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IOException("line " + lineNo + ": expected key=value");
            }
            if (values.put(line.substring(0, eq), line.substring(eq + 1)) != null) {
                throw new IOException("line " + lineNo + ": duplicate key " + line.substring(0, eq));
            }
        }
        return values;
    }

    /**
     * Reads a state file: a regular file (a symbolic link is not followed), at most {@link #MAX_BYTES},
     * strict UTF-8. The type is checked before opening, since opening a FIFO blocks and a device such
     * as /dev/zero never ends.
     */
    static Map<String, String> read(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile()) {
            throw new IOException("not a regular file but " + kindOf(attributes));
        }
        if (attributes.size() > MAX_BYTES) {
            throw new IOException(attributes.size() + " bytes, more than the " + MAX_BYTES + " a state file may have");
        }
        ByteBuffer bytes = ByteBuffer.allocate(MAX_BYTES + 1);
        try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS))) {
            while (bytes.hasRemaining() && ch.read(bytes) >= 0) {
                // A file that grew since its size was read is cut at MAX_BYTES + 1 and refused below.
            }
        }
        if (bytes.position() > MAX_BYTES) {
            throw new IOException("more than the " + MAX_BYTES + " bytes a state file may have");
        }
        bytes.flip();
        try {
            return parse(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString());
        } catch (CharacterCodingException e) {
            throw new IOException("not UTF-8 text", e);
        }
    }

    /** What a path that is not a regular file is, for a log line. */
    static String kindOf(BasicFileAttributes attributes) {
        return attributes.isDirectory() ? "a directory" : attributes.isSymbolicLink() ? "a symbolic link"
                : "a device, FIFO or socket";
    }

    static void writeAtomically(Path file, Map<String, String> values) throws IOException {
        StringBuilder text = new StringBuilder();
        values.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        // A leftover temp file (or anything else by that name) goes first; CREATE_NEW follows no link.
        Files.deleteIfExists(temp);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(StandardCharsets.UTF_8.encode(text.toString()));
            ch.force(true);
        } catch (IOException e) {
            // ENOSPC and the like: no empty temp file is left behind.
            Files.deleteIfExists(temp);
            throw e;
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(file.getParent());
    }

    static void deleteDurably(Path file) throws IOException {
        if (Files.deleteIfExists(file)) {
            syncDirectory(file.getParent());
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory; the rename is still atomic there.
        }
    }

    static String list(List<?> items) {
        StringBuilder out = new StringBuilder();
        for (Object item : items) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(item);
        }
        return out.toString();
    }

    static List<String> splitList(String value) {
        List<String> items = new ArrayList<>();
        if (value != null) {
            for (String item : value.trim().split("\\s+")) {
                if (!item.isEmpty()) {
                    items.add(item);
                }
            }
        }
        return items;
    }
}
