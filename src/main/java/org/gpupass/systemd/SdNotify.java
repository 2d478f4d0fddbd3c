package org.gpupass.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notification protocol ({@code sd_notify(3)}): one datagram per message to the AF_UNIX socket
 * named by {@code NOTIFY_SOCKET} (a path, or {@code @name} for the abstract namespace). Java has no Unix
 * datagram sockets, so this calls libc through JNA. Without {@code NOTIFY_SOCKET} every call is a no-op.
 */
public final class SdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SUN_PATH_MAX = 108;

    /** The libc calls used here. */
    interface LibC extends Library {
        int socket(int domain, int type, int protocol) throws LastErrorException;

        long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength)
                throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private final String socket;
    private final Duration watchdogInterval;

    private SdNotify(String socket, Duration watchdogInterval) {
        this.socket = socket;
        this.watchdogInterval = watchdogInterval;
    }

    /** From {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} of this process. */
    public static SdNotify fromEnvironment() {
        return from(System.getenv(), ProcessHandle.current().pid());
    }

    /** As {@link #fromEnvironment()}, from a given environment and pid (tests run several at once). */
    public static SdNotify from(Map<String, String> env, long pid) {
        String socket = env.get("NOTIFY_SOCKET");
        Duration watchdog = null;
        String usec = env.get("WATCHDOG_USEC");
        String forPid = env.get("WATCHDOG_PID");
        if (usec != null && (forPid == null || forPid.equals(Long.toString(pid)))) {
            try {
                long micros = Long.parseLong(usec.trim());
                if (micros > 0) {
                    watchdog = Duration.ofNanos(micros * 1000 / 2);
                }
            } catch (NumberFormatException e) {
                LOG.warn("Ignoring WATCHDOG_USEC={}: not a number", usec);
            }
        }
        return new SdNotify(socket == null || socket.isEmpty() ? null : socket, watchdog);
    }

    /** Whether systemd listens (NOTIFY_SOCKET is set). */
    public boolean enabled() {
        return socket != null;
    }

    /** Half of {@code WATCHDOG_USEC}, when systemd asked for keep-alives. */
    public Optional<Duration> watchdogInterval() {
        return socket == null ? Optional.empty() : Optional.ofNullable(watchdogInterval);
    }

    /**
     * Sends one message such as {@code READY=1} or {@code STATUS=...}; returns whether it was sent.
     * Failures are logged, never thrown: the daemon works without systemd.
     */
    public boolean send(String message) {
        if (socket == null) {
            return false;
        }
        byte[] address = sockaddr(socket);
        if (address == null) {
            LOG.warn("NOTIFY_SOCKET={} is not a usable AF_UNIX address", socket);
            return false;
        }
        byte[] data = message.getBytes(StandardCharsets.UTF_8);
        try {
            LibC libc = Native.load("c", LibC.class);
            int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            try {
                libc.sendto(fd, data, data.length, MSG_NOSIGNAL, address, address.length);
            } finally {
                libc.close(fd);
            }
            return true;
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            LOG.warn("sd_notify to {} failed: {}", socket, e.getMessage());
            return false;
        }
    }

    /** {@code struct sockaddr_un} for a path or an {@code @abstract} name, sized as the kernel expects. */
    static byte[] sockaddr(String name) {
        byte[] path = name.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = name.startsWith("@");
        if (path.length == 0 || path.length >= SUN_PATH_MAX || !(abstractName || name.startsWith("/"))) {
            return null;
        }
        int length = abstractName ? 2 + path.length : 2 + path.length + 1;
        byte[] address = new byte[length];
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN; // sa_family_t is host order
        address[little ? 0 : 1] = (byte) AF_UNIX;
        System.arraycopy(path, 0, address, 2, path.length);
        if (abstractName) {
            address[2] = 0;
        }
        return address;
    }
}
