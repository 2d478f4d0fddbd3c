package org.gpupass.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Endian;

/**
 * A caller that tries to hurt the daemon, run as another user ({@code setpriv}) by the ITs and the bench:
 * <ul>
 * <li>{@code big ADDRESS COUNT MIB MEMBER}: COUNT concurrent calls of MEMBER (Claim or ClaimDomain) whose
 *     last argument is MIB MiB long, each on its own connection;</li>
 * <li>{@code flood ADDRESS THREADS SECONDS MEMBER}: THREADS connections calling MEMBER (Release, Claim,
 *     ClaimDomain with 1 MiB of XML) back to back for SECONDS;</li>
 * <li>{@code reads ADDRESS THREADS SECONDS -}: THREADS connections sending Properties.Get calls with a
 *     4,000-byte property name as fast as they can, wanting no reply (nothing paces them), for SECONDS.</li>
 * </ul>
 * Prints one line per reply kind: {@code REPLY <error name or "ok"> <count> <first message>}.
 */
public final class HostileClient {
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();
    private static final Map<String, String> FIRST = new ConcurrentHashMap<>();

    private HostileClient() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        String mode = args[0];
        String address = args[1];
        int count = Integer.parseInt(args[2]);
        double size = Double.parseDouble(args[3]);
        String member = args[4];
        List<Thread> threads = new ArrayList<>();
        long end = System.nanoTime() + (long) (size * 1e9);
        for (int i = 0; i < count; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try (DBusConnection conn = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
                    if (mode.equals("reads")) {
                        MessageFactory factory = new MessageFactory(Endian.LITTLE);
                        long sent = 0;
                        while (System.nanoTime() < end) {
                            conn.sendMessage(factory.createMethodCall(Daemon.NAME, Daemon.NVIDIA,
                                    "org.freedesktop.DBus.Properties", "Get",
                                    org.freedesktop.dbus.messages.constants.Flags.NO_REPLY_EXPECTED, "ss",
                                    "org.gpupass1.Gpu", "p".repeat(4000)));
                            sent++;
                        }
                        count("sent", "Get calls without a reply wanted");
                        COUNTS.get("sent").addAndGet(sent - 1);
                    } else if (mode.equals("big")) {
                        call(conn, member, "x".repeat((int) (size * 1048576)), 120_000);
                    } else {
                        String xml = member.equals("ClaimDomain") ? "<domain>" + " ".repeat((1 << 20) - 64) + "</domain>"
                                : "";
                        while (System.nanoTime() < end) {
                            call(conn, member, member.equals("ClaimDomain") ? xml : "flood" + id, 60_000);
                        }
                    }
                } catch (Exception e) {
                    count("client:" + e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        for (Map.Entry<String, AtomicLong> e : new TreeMap<>(COUNTS).entrySet()) {
            System.out.println("REPLY " + e.getKey() + " " + e.getValue() + " " + FIRST.get(e.getKey()));
        }
    }

    private static void call(DBusConnection conn, String member, String last, long timeoutMillis) throws Exception {
        MessageFactory factory = new MessageFactory(Endian.LITTLE);
        MethodCall call = member.equals("ClaimDomain")
                ? factory.createMethodCall(Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager", member, (byte) 0, "ss",
                        "hostile", last)
                : factory.createMethodCall(Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager", member, (byte) 0, "ss",
                        "01:00.0", last);
        conn.sendMessage(call);
        Message reply = call.getReply(timeoutMillis);
        if (reply == null) {
            count("timeout", "no reply within " + timeoutMillis + " ms");
        } else if (reply instanceof org.freedesktop.dbus.messages.Error error) {
            Object[] p = error.getParameters();
            count(error.getName(), p != null && p.length > 0 ? String.valueOf(p[0]) : "");
        } else {
            count("ok", "");
        }
    }

    private static void count(String kind, String message) {
        COUNTS.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        FIRST.putIfAbsent(kind, message.length() > 200 ? message.substring(0, 200) : message);
    }
}
