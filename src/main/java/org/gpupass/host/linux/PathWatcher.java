package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
                if (System.nanoTime() - deadline > 0) {
                    return Files.exists(target);
                }
                Path watched = nearestDirectory(target, stop);
                WatchKey key;
                try {
                    key = watched.register(ws, StandardWatchEventKinds.ENTRY_CREATE);
                } catch (NoSuchFileException e) {
                    continue; // removed since the walk: walk again
                }
                if (Files.exists(target)) {
                    return true;
                }
                // the next directory down may have appeared between the walk and the registration:
                // then its creation gave no event here, so watch it instead
                Path next = watched.resolve(target.getName(watched.getNameCount()));
                if (!next.equals(target) && Files.isDirectory(next)) {
                    key.cancel();
                    continue;
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
                fired.cancel();
                key.cancel(); // the directory to watch may have changed: start again from the walk
            }
        } catch (IOException | ClosedWatchServiceException e) {
            LOG.warn("cannot watch for {}: {}", target, e.toString());
            return Files.exists(target);
        }
    }

    /** The nearest existing directory above {@code target}. */
    private static Path nearestDirectory(Path target, Path stop) throws IOException {
        Path dir = target.getParent();
        while (dir != null && !Files.isDirectory(dir)) {
            if (dir.equals(stop)) {
                dir = null;
                break;
            }
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new NoSuchFileException(target.toString(), null, "no existing directory above it to watch");
        }
        return dir;
    }
}
