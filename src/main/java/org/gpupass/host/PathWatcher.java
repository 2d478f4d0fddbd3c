package org.gpupass.host;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for a file to appear by watching (inotify on Linux) its nearest existing ancestor directory,
 * e.g. {@code /dev} while {@code /dev/vfio} does not exist yet, then {@code /dev/vfio}. After each
 * registration the file is checked again, so one created just before the watch began is not missed.
 */
final class PathWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(PathWatcher.class);

    private PathWatcher() {
    }

    /** @return whether {@code target} exists at return */
    static boolean await(Path target, Duration timeout) throws InterruptedException {
        if (Files.exists(target)) {
            return true;
        }
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        Path stop = target.getRoot();
        try (WatchService ws = target.getFileSystem().newWatchService()) {
            while (true) {
                WatchKey key = register(ws, target, stop);
                if (Files.exists(target)) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                WatchKey fired = ws.poll(left, TimeUnit.NANOSECONDS);
                if (fired == null) {
                    return Files.exists(target);
                }
                fired.pollEvents();
                if (key != null) {
                    key.cancel(); // the watched directory may change: register again from scratch
                }
                fired.cancel();
            }
        } catch (IOException | ClosedWatchServiceException e) {
            LOG.warn("cannot watch for {}: {}", target, e.toString());
            return Files.exists(target);
        }
    }

    /** Registers the nearest existing ancestor of {@code target} for creations. */
    private static WatchKey register(WatchService ws, Path target, Path stop) throws IOException {
        Path dir = target.getParent();
        while (dir != null) {
            try {
                return dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE);
            } catch (NoSuchFileException | NotDirectoryException e) {
                if (dir.equals(stop)) {
                    break;
                }
                dir = dir.getParent();
            }
        }
        throw new NoSuchFileException(target.toString(), null, "no existing ancestor to watch");
    }
}
