package org.gpupass.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class TransitionLockTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(10)
    void aSecondCallerInTheSameProcessWaitsThenGetsBusy() throws Exception {
        TransitionLock lock = new TransitionLock(dir.resolve("lock"));
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try (TransitionLock.Held h = lock.acquire(Duration.ofSeconds(1), "")) {
                held.countDown();
                done.await();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        holder.start();
        held.await();
        long t0 = System.nanoTime();
        GpuPassException e = assertThrows(GpuPassException.class,
                () -> lock.acquire(Duration.ofMillis(100), "claim 0000:01:00.0 for win11"));
        assertEquals(ErrorKind.BUSY, e.kind());
        assertTrue(e.getMessage().contains("claim 0000:01:00.0 for win11"), e.getMessage());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100));
        done.countDown();
        holder.join();
        lock.acquire(Duration.ofMillis(100), "").close();
    }

    /** A second daemon instance is another process: the fcntl lock keeps it out, and dying frees it. */
    @Test
    @Timeout(30)
    void anotherProcessHoldingTheFileLockMakesUsWait() throws Exception {
        Path file = dir.resolve("transition.lock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process other = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), file.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream()));
            assertEquals("locked", out.readLine());
            TransitionLock lock = new TransitionLock(file);
            GpuPassException e = assertThrows(GpuPassException.class, () -> lock.acquire(Duration.ofMillis(200), ""));
            assertEquals(ErrorKind.BUSY, e.kind());
            assertTrue(e.getMessage().contains("another gpupassd process"), e.getMessage());
            other.destroyForcibly().waitFor();
            lock.acquire(Duration.ofSeconds(5), "").close();
        } finally {
            other.destroyForcibly();
        }
    }

    /** Run in a child JVM: takes the file lock, says so, and holds it until killed. */
    public static final class LockHolder {
        public static void main(String[] args) throws Exception {
            FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            ch.lock();
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
