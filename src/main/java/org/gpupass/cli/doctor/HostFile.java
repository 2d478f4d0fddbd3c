package org.gpupass.cli.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * One read of a host file, telling "not there" apart from "there but unreadable" (the doctor warns
 * about what it could not read rather than guessing). Files under /proc report size 0, so reads
 * are streamed, up to a cap.
 *
 * @param path  the file as read (under the root)
 * @param bytes the content, null unless {@link #present()}
 * @param error null when read or missing; else why it could not be read
 */
public record HostFile(Path path, byte[] bytes, boolean missing, String error) {
    /** 16 MiB: /proc/cpuinfo of a large machine is a few MiB. */
    static final int MAX_BYTES = 16 << 20;

    public static HostFile read(Path path) {
        return read(path, MAX_BYTES);
    }

    public static HostFile read(Path path, int maxBytes) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                return new HostFile(path, null, false, "larger than " + maxBytes + " bytes");
            }
            return new HostFile(path, bytes, false, null);
        } catch (NoSuchFileException | NotDirectoryException e) {
            return new HostFile(path, null, true, null);
        } catch (AccessDeniedException e) {
            return new HostFile(path, null, false, "permission denied");
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new HostFile(path, null, false, Files.isDirectory(path) ? "a directory" : why);
        }
    }

    public boolean present() {
        return bytes != null;
    }

    /** The content as text (UTF-8, malformed bytes replaced). */
    public String text() {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }
}
