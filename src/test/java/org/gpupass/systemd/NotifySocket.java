package org.gpupass.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An AF_UNIX datagram socket bound like systemd's NOTIFY_SOCKET, to see what gpupassd sends: for
 * {@link SdNotifyTest} in this JVM and for the integration tests' daemon process. The address is built
 * here, not by {@link SdNotify#sockaddr}, so that a fault there cannot hide on both ends.
 */
public final class NotifySocket implements AutoCloseable {
    /** The libc calls a receiver needs. */
    interface LibC extends Library {
        int socket(int domain, int type, int protocol) throws LastErrorException;

        int bind(int fd, byte[] address, int length) throws LastErrorException;

        long recv(int fd, byte[] buffer, long length, int flags);

        int close(int fd);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int MSG_DONTWAIT = 0x40;
    private final int fd;
    private final List<String> received = new ArrayList<>();
    /** How many of {@link #received} {@link #next} has returned. */
    private int taken;

    public NotifySocket(Path path) {
        this(path.toString());
    }

    /** Bound to a path, or to an abstract name written {@code @name}, as NOTIFY_SOCKET spells them. */
    public NotifySocket(String name) {
        fd = LIBC.socket(AF_UNIX, SOCK_DGRAM, 0);
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = name.startsWith("@");
        // sa_family_t (little-endian), then the path and its NUL, or a NUL and the abstract name
        byte[] address = new byte[2 + bytes.length + (abstractName ? 0 : 1)];
        address[0] = AF_UNIX;
        System.arraycopy(bytes, 0, address, 2, bytes.length);
        if (abstractName) {
            address[2] = 0;
        }
        LIBC.bind(fd, address, address.length);
    }

    /** Every message received so far. */
    public synchronized List<String> drain() {
        byte[] buffer = new byte[4096];
        for (long n = LIBC.recv(fd, buffer, buffer.length, MSG_DONTWAIT); n >= 0;
             n = LIBC.recv(fd, buffer, buffer.length, MSG_DONTWAIT)) {
            received.add(new String(buffer, 0, (int) n, StandardCharsets.UTF_8));
        }
        return List.copyOf(received);
    }

    /** Waits until a message starting with {@code prefix} arrived; returns it. */
    public String await(String prefix, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            for (String m : drain()) {
                if (m.startsWith(prefix)) {
                    return m;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + prefix + " in " + drain());
    }

    /** The message after the one {@code next} returned last, waiting up to {@code millis}; null when none came. */
    public synchronized String next(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (drain().size() == taken) {
            if (System.currentTimeMillis() >= deadline) {
                return null;
            }
            wait(5);
        }
        return received.get(taken++);
    }

    @Override
    public void close() {
        LIBC.close(fd);
    }
}
