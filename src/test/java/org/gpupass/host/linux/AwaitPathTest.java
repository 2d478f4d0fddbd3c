package org.gpupass.host.linux;

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
import org.junit.jupiter.api.extension.RegisterExtension;

class AwaitPathTest {
    @RegisterExtension
    final FakeHost fake = new FakeHost();

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
        FakeRoot.write(fake.root.path("dev/vfio/1"), "");
        long t0 = System.nanoTime();
        assertTrue(fake.host.nodes().awaitPath("/dev/vfio/1", Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }

    @Test
    void fileCreatedByAnotherThreadInAnExistingDirectory() throws Exception {
        fake.root.mkdirs("dev/vfio");
        Thread t = later(200, () -> FakeRoot.write(fake.root.path("dev/vfio/7"), ""));
        long t0 = System.nanoTime();
        assertTrue(fake.host.nodes().awaitPath("/dev/vfio/7", Duration.ofSeconds(20)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 10_000, "woke by the watch, not the timeout: " + ms + " ms");
        t.join();
    }

    @Test
    void parentDirectoryCreatedLaterToo() throws Exception {
        // /dev/vfio does not exist until vfio is loaded: the grandparent is watched first
        Thread t = later(200, () -> {
            fake.root.mkdirs("dev/vfio");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            FakeRoot.write(fake.root.path("dev/vfio/3"), "");
        });
        long t0 = System.nanoTime();
        assertTrue(fake.host.nodes().awaitPath("/dev/vfio/3", Duration.ofSeconds(20)));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000);
        t.join();
    }

    @Test
    void directoryAndFileCreatedTogetherAreNotMissed() throws Exception {
        // created in one go between registrations: the re-check after registering catches it
        for (int i = 0; i < 40; i++) {
            String name = "dev/race" + i + "/x/1";
            Thread t = later(i % 3, () -> FakeRoot.write(fake.root.path(name), ""));
            long t0 = System.nanoTime();
            assertTrue(fake.host.nodes().awaitPath("/" + name, Duration.ofSeconds(5)), name);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 4_000, name + " was found by the timeout's last look, not by a watch: " + ms + " ms");
            t.join();
        }
    }

    @Test
    void timeoutReturnsFalse() throws InterruptedException {
        fake.root.mkdirs("dev/vfio");
        FakeRoot.write(fake.root.path("dev/vfio/other"), "");
        long t0 = System.nanoTime();
        assertFalse(fake.host.nodes().awaitPath("/dev/vfio/9", Duration.ofMillis(300)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 290 && ms < 5_000, ms + " ms");
    }

    @Test
    void unrelatedCreationsDoNotEndTheWait() throws Exception {
        fake.root.mkdirs("dev/vfio");
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            for (int i = 0; i < 5; i++) {
                FakeRoot.write(fake.root.path("dev/vfio/noise" + i), "");
            }
            done.countDown();
        });
        t.start();
        assertFalse(fake.host.nodes().awaitPath("/dev/vfio/4", Duration.ofMillis(400)));
        assertTrue(done.await(5, TimeUnit.SECONDS));
    }

    @Test
    void interruptIsPassedOn() throws Exception {
        Thread waiter = Thread.currentThread();
        Thread t = later(150, waiter::interrupt);
        assertThrows(InterruptedException.class, () -> fake.host.nodes().awaitPath("/dev/vfio/5", Duration.ofSeconds(20)));
        t.join();
        assertFalse(Files.exists(fake.root.path("dev/vfio/5")));
    }
}
