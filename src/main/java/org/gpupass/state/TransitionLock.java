package org.gpupass.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;

/**
 * The one host-wide transition lock: a fair in-process lock (callers are served in order) plus an
 * fcntl lock on a file in the state directory, so a second daemon instance or an offline tool
 * waits too, and the kernel frees it when a holder dies.
 */
public final class TransitionLock {
    private static final long FILE_RETRY_MS = 20;

    private final ReentrantLock local = new ReentrantLock(true);
    private final Path file;

    public TransitionLock(Path file) {
        this.file = file;
    }

    /** A held lock; closing it releases both parts. */
    public final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // Closing the channel drops the lock in any case.
            } finally {
                local.unlock();
            }
        }
    }

    /**
     * Waits up to {@code timeout} for both parts.
     *
     * @throws GpuPassException {@code Busy} when the wait runs out, naming {@code running}
     */
    public Held acquire(Duration timeout, String running) throws GpuPassException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!local.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw busy(timeout, running);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw busy(timeout, running);
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            try {
                while (true) {
                    FileLock lock = tryLock(channel);
                    if (lock != null) {
                        return new Held(channel, lock);
                    }
                    if (System.nanoTime() >= deadline) {
                        throw busy(timeout, "another gpupassd process holds " + file);
                    }
                    // Another process: fcntl locks cannot be waited on with a deadline, so retry.
                    Thread.sleep(FILE_RETRY_MS);
                }
            } catch (GpuPassException | InterruptedException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (InterruptedException e) {
            local.unlock();
            Thread.currentThread().interrupt();
            throw busy(timeout, running);
        } catch (IOException e) {
            local.unlock();
            throw new GpuPassException(ErrorKind.BUSY, "cannot open the transition lock " + file + ": "
                    + e.getMessage(), e);
        } catch (GpuPassException | RuntimeException e) {
            local.unlock();
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static GpuPassException busy(Duration timeout, String running) {
        String what = running == null || running.isEmpty() ? "another transition" : running;
        return new GpuPassException(ErrorKind.BUSY, "the transition lock could not be had within "
                + timeout.toMillis() + " ms (" + what + " is running); try again later");
    }
}
