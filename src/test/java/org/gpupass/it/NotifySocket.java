package org.gpupass.it;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An AF_UNIX datagram socket bound like systemd's NOTIFY_SOCKET, to see what the daemon sends. */
final class NotifySocket implements AutoCloseable {
    /** The libc calls a receiver needs. */
    interface LibC extends Library {
        int socket(int domain, int type, int protocol) throws LastErrorException;

        int bind(int fd, byte[] address, int length) throws LastErrorException;

        long recv(int fd, byte[] buffer, long length, int flags);

        int close(int fd);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);
    private static final int MSG_DONTWAIT = 0x40;
    private final int fd;
    private final List<String> received = new ArrayList<>();

    NotifySocket(Path path) {
        fd = LIBC.socket(1, 2, 0);
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        byte[] address = new byte[2 + name.length + 1];
        address[0] = 1;
        System.arraycopy(name, 0, address, 2, name.length);
        LIBC.bind(fd, address, address.length);
    }

    /** Every message received so far. */
    synchronized List<String> drain() {
        byte[] buffer = new byte[4096];
        for (long n = LIBC.recv(fd, buffer, buffer.length, MSG_DONTWAIT); n >= 0;
             n = LIBC.recv(fd, buffer, buffer.length, MSG_DONTWAIT)) {
            received.add(new String(buffer, 0, (int) n, StandardCharsets.UTF_8));
        }
        return List.copyOf(received);
    }

    /** Waits until a message starting with {@code prefix} arrived; returns it. */
    String await(String prefix, long millis) throws InterruptedException {
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

    @Override
    public void close() {
        LIBC.close(fd);
    }
}
