package org.gpupass.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AwaitPathTest {
    @TempDir
    Path dir;
    FakeRoot r;
    SysfsHost host;

    @BeforeEach
    void setUp() {
        r = new FakeRoot(dir);
        host = new SysfsHost(dir, new RecordingUnits());
    }

    private Thread later(long delayMs, Runnable action) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                return;
            }
            action.run();
        });
        t.start();
        return t;
    }

    @Test
    void presentPathReturnsAtOnce() throws InterruptedException {
        FakeRoot.write(r.path("dev/vfio/1"), "");
        long t0 = System.nanoTime();
        assertTrue(host.awaitPath("/dev/vfio/1", Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }

    @Test
    void fileCreatedByAnotherThreadInAnExistingDirectory() throws Exception {
        r.mkdirs("dev/vfio");
        Thread t = later(200, () -> FakeRoot.write(r.path("dev/vfio/7"), ""));
        long t0 = System.nanoTime();
        assertTrue(host.awaitPath("/dev/vfio/7", Duration.ofSeconds(20)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 10_000, "woke by the watch, not the timeout: " + ms + " ms");
        t.join();
    }

    @Test
    void parentDirectoryCreatedLaterToo() throws Exception {
        // /dev/vfio does not exist until vfio is loaded: the grandparent is watched first
        Thread t = later(200, () -> {
            r.mkdirs("dev/vfio");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            FakeRoot.write(r.path("dev/vfio/3"), "");
        });
        long t0 = System.nanoTime();
        assertTrue(host.awaitPath("/dev/vfio/3", Duration.ofSeconds(20)));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000);
        t.join();
    }

    @Test
    void directoryAndFileCreatedTogetherAreNotMissed() throws Exception {
        // created in one go between registrations: the re-check after registering catches it
        for (int i = 0; i < 40; i++) {
            String name = "dev/race" + i + "/x/1";
            Thread t = later(i % 3, () -> FakeRoot.write(r.path(name), ""));
            long t0 = System.nanoTime();
            assertTrue(host.awaitPath("/" + name, Duration.ofSeconds(5)), name);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 4_000, name + " was found by the timeout's last look, not by a watch: " + ms + " ms");
            t.join();
        }
    }

    @Test
    void timeoutReturnsFalse() throws InterruptedException {
        r.mkdirs("dev/vfio");
        FakeRoot.write(r.path("dev/vfio/other"), "");
        long t0 = System.nanoTime();
        assertFalse(host.awaitPath("/dev/vfio/9", Duration.ofMillis(300)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 290 && ms < 5_000, ms + " ms");
    }

    @Test
    void unrelatedCreationsDoNotEndTheWait() throws Exception {
        r.mkdirs("dev/vfio");
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            for (int i = 0; i < 5; i++) {
                FakeRoot.write(r.path("dev/vfio/noise" + i), "");
            }
            done.countDown();
        });
        t.start();
        assertFalse(host.awaitPath("/dev/vfio/4", Duration.ofMillis(400)));
        assertTrue(done.await(5, TimeUnit.SECONDS));
    }

    @Test
    void interruptIsPassedOn() throws Exception {
        Thread waiter = Thread.currentThread();
        Thread t = later(150, waiter::interrupt);
        assertThrows(InterruptedException.class, () -> host.awaitPath("/dev/vfio/5", Duration.ofSeconds(20)));
        t.join();
        assertFalse(Files.exists(r.path("dev/vfio/5")));
    }
}
