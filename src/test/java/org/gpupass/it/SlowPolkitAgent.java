package org.gpupass.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;

/**
 * A polkit authentication agent for one process that "authenticates" the user after a delay, as a person
 * typing a password would: polkit asks it (BeginAuthentication), it waits, then tells polkit the user is
 * authenticated (AuthenticationAgentResponse2, which only root may call) and returns. Runs as root.
 */
final class SlowPolkitAgent implements AutoCloseable {
    static final String PATH = "/org/gpupass/it/SlowPolkitAgent";

    /** {@code (sa{sv})}: a polkit subject or identity. */
    public static final class Identity extends Struct {
        @Position(0)
        public final String kind;
        @Position(1)
        public final Map<String, Variant<?>> details;

        public Identity(String kind, Map<String, Variant<?>> details) {
            this.kind = kind;
            this.details = details;
        }
    }

    @DBusInterfaceName("org.freedesktop.PolicyKit1.AuthenticationAgent")
    @SuppressWarnings("checkstyle:methodname")
    public interface AuthenticationAgent extends DBusInterface {
        void BeginAuthentication(String actionId, String message, String iconName, Map<String, String> details,
                                 String cookie, List<Identity> identities);

        void CancelAuthentication(String cookie);
    }

    @DBusInterfaceName("org.freedesktop.PolicyKit1.Authority")
    @SuppressWarnings("checkstyle:methodname")
    public interface Authority extends DBusInterface {
        void RegisterAuthenticationAgent(Identity subject, String locale, String objectPath);

        void AuthenticationAgentResponse2(UInt32 uid, String cookie, Identity identity);
    }

    private final DBusConnection connection;
    final AtomicInteger asked = new AtomicInteger();

    private SlowPolkitAgent(DBusConnection connection) {
        this.connection = connection;
    }

    /** Registers an agent for process {@code pid} that answers after {@code delayMillis}. */
    static SlowPolkitAgent forProcess(String address, long pid, long delayMillis) throws Exception {
        DBusConnection conn = DBusConnectionBuilder.forAddress(address).withShared(false).build();
        SlowPolkitAgent agent = new SlowPolkitAgent(conn);
        Authority authority = conn.getRemoteObject("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                Authority.class);
        conn.exportObject(PATH, new AuthenticationAgent() {
            @Override
            public void BeginAuthentication(String actionId, String message, String iconName, Map<String, String> details,
                                            String cookie, List<Identity> identities) {
                agent.asked.incrementAndGet();
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                authority.AuthenticationAgentResponse2(new UInt32(0), cookie, identities.get(0));
            }

            @Override
            public void CancelAuthentication(String cookie) {
            }

            @Override
            public String getObjectPath() {
                return PATH;
            }
        });
        authority.RegisterAuthenticationAgent(new Identity("unix-process", Map.of("pid", new Variant<>(new UInt32(pid)),
                "start-time", new Variant<>(new UInt64(startTime(pid))))), "C", PATH);
        return agent;
    }

    /** Field 22 of /proc/PID/stat: the start time polkit identifies a process by. */
    private static long startTime(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[19]);
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
