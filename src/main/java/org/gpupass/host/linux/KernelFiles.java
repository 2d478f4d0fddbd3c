package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;

/** One-shot writes to kernel attribute files, with failures turned into {@link KernelWriteException}. */
final class KernelFiles {
    private KernelFiles() {
    }

    /**
     * Writes {@code text} with a single write(2) call, as the kernel's sysfs store expects one buffer.
     * The file is opened like a shell's {@code >} does (create, truncate): a sysfs attribute ignores
     * both; in a test tree the file is simply created or overwritten.
     *
     * @param file  the file to open
     * @param shown the path as the kernel spells it, for the exception
     */
    static void write(Path file, String shown, String text) throws KernelWriteException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            int n = ch.write(ByteBuffer.wrap(bytes));
            if (n != bytes.length) {
                throw new KernelWriteException(shown, Errno.EIO, "short write: " + n + " of " + bytes.length + " bytes");
            }
        } catch (KernelWriteException e) {
            throw e;
        } catch (IOException e) {
            throw new KernelWriteException(shown, errnoOf(e), e.getClass().getSimpleName());
        }
    }

    /** NoSuchFile → ENOENT, AccessDenied → EACCES, otherwise the strerror text Java put in the message. */
    static Errno errnoOf(IOException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return Errno.fromMessage(fse.getReason());
        }
        return Errno.fromMessage(e.getMessage());
    }

    /** The enum constant for an errno number, or null when the enum does not name it. */
    static Errno ofNumber(int number) {
        for (Errno e : Errno.values()) {
            if (e.number() == number) {
                return e;
            }
        }
        return null;
    }
}
