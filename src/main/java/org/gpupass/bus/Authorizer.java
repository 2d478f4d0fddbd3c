package org.gpupass.bus;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.bus.wire.DaemonWire;

/**
 * Decides whether a caller may move GPUs: uid 0 (or the daemon's own uid), else polkit's
 * {@code org.gpupass1.manage} for the caller's bus name; with no polkit on the bus, nobody else.
 * Asynchronous throughout: the bus's and polkit's replies complete futures on {@code executor}, so a
 * caller waiting for polkit (a user typing a password, for up to {@link #POLKIT_TIMEOUT}) holds no thread.
 * The uid of a unique name is asked once and kept (unique names are never reused on a bus).
 */
final class Authorizer {
    /** An interactive check waits for a person: up to five minutes (callers need a timeout as long). */
    static final Duration POLKIT_TIMEOUT = Duration.ofMinutes(5);
    static final Duration BUS_TIMEOUT = Duration.ofSeconds(25);
    private static final int KNOWN_CALLERS = 512;
    private static final String BUS = "org.freedesktop.DBus";
    private static final String POLKIT = "org.freedesktop.PolicyKit1";
    private static final String AUTHORITY = "/org/freedesktop/PolicyKit1/Authority";
    private static final String AUTHORITY_INTERFACE = "org.freedesktop.PolicyKit1.Authority";
    /** CheckAuthorizationFlags: let an authentication agent ask the user. */
    private static final int ALLOW_USER_INTERACTION = 1;

    /** The refusal a caller gets: org.freedesktop.DBus.Error.AccessDenied with this message. */
    static final class Denied extends RuntimeException {
        Denied(String message) {
            super(message, null, false, false);
        }
    }

    private final DaemonWire wire;
    private final long ownUid;
    private final ScheduledExecutorService executor;
    private final MessageFactory factory = new MessageFactory(Endian.LITTLE);
    private final AtomicLong cancellations = new AtomicLong();
    /** unique name → its uid; used on {@code executor} only. */
    private final Map<String, CompletableFuture<Long>> uids = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<Long>> eldest) {
            return size() > KNOWN_CALLERS;
        }
    };

    Authorizer(DaemonWire wire, long ownUid, ScheduledExecutorService executor) {
        this.wire = wire;
        this.ownUid = ownUid;
        this.executor = executor;
    }

    /** Whether {@code uid} may move GPUs without asking polkit. */
    boolean privileged(long uid) {
        return uid == 0 || uid == ownUid;
    }

    /** The uid behind {@code sender}; fails with {@link Denied}. Call on the executor. */
    CompletableFuture<Long> uidOf(String sender) {
        CompletableFuture<Long> known = uids.get(sender);
        if (known != null) {
            return known;
        }
        CompletableFuture<Long> uid = new CompletableFuture<>();
        uids.put(sender, uid);
        ask(BUS, "/org/freedesktop/DBus", BUS, "GetConnectionUnixUser", BUS_TIMEOUT, "s", sender)
                .whenComplete((reply, failure) -> {
                    if (reply != null && !(reply instanceof Error) && parameter(reply) instanceof UInt32 n) {
                        uid.complete(n.longValue());
                        return;
                    }
                    uids.remove(sender);
                    uid.completeExceptionally(new Denied("Cannot tell who is calling (" + sender + "): "
                            + why(reply, failure)));
                });
        return uid;
    }

    /**
     * Completes when {@code sender} (uid {@code uid}, not privileged) may run {@code what}; fails with
     * {@link Denied}, saying why. Call on the executor.
     */
    CompletableFuture<Void> requireManage(String sender, long uid, String what) {
        String cancellation = "gpupassd-" + cancellations.incrementAndGet();
        Object subject = new Object[] {"system-bus-name", Map.of("name", new Variant<>(sender))};
        return ask(POLKIT, AUTHORITY, AUTHORITY_INTERFACE, "CheckAuthorization", POLKIT_TIMEOUT, "(sa{sv})sa{ss}us",
                subject, BusNames.MANAGE_ACTION, Map.of(), new UInt32(ALLOW_USER_INTERACTION), cancellation)
                .handle((reply, failure) -> {
                    if (reply instanceof Error error && isNoPolkit(error.getName())) {
                        throw new Denied("Only root may " + what + " (uid " + uid + " is not, and polkit is not"
                                + " running to authorize " + BusNames.MANAGE_ACTION + ")");
                    }
                    if (failure instanceof TimeoutException) {
                        cancel(cancellation);
                    }
                    if (reply == null || reply instanceof Error || !(parameter(reply) instanceof Object[] result)
                            || result.length < 2) {
                        throw new Denied("Not authorized to " + what + ": the polkit check for "
                                + BusNames.MANAGE_ACTION + " failed (" + why(reply, failure) + ")");
                    }
                    if (!Boolean.TRUE.equals(result[0])) {
                        throw new Denied("Not authorized to " + what + ": uid " + uid + " lacks polkit authorization for "
                                + BusNames.MANAGE_ACTION + (Boolean.TRUE.equals(result[1]) ? " (authentication needed;"
                                + " run it with an authentication agent, e.g. pkttyagent, or as root)" : ""));
                    }
                    return null;
                });
    }

    private static boolean isNoPolkit(String error) {
        return "org.freedesktop.DBus.Error.ServiceUnknown".equals(error)
                || "org.freedesktop.DBus.Error.NameHasNoOwner".equals(error);
    }

    /** Tells polkit to drop a check nobody waits for any more (its dialog closes). */
    private void cancel(String cancellation) {
        ask(POLKIT, AUTHORITY, AUTHORITY_INTERFACE, "CancelCheckAuthorization", BUS_TIMEOUT, "s", cancellation);
    }

    private CompletableFuture<Message> ask(String destination, String path, String iface, String member,
            Duration timeout, String signature, Object... args) {
        MethodCall call;
        try {
            call = factory.createMethodCall(null, destination, path, iface, member, (byte) 0, signature, args);
        } catch (DBusException e) {
            return CompletableFuture.failedFuture(e);
        }
        return wire.call(call, timeout, executor);
    }

    private static Object parameter(Message reply) {
        try {
            Object[] values = reply.getParameters();
            return values == null || values.length == 0 ? null : values[0];
        } catch (DBusException | RuntimeException e) {
            return null;
        }
    }

    private static String why(Message reply, Throwable failure) {
        if (reply instanceof Error error) {
            Object text = parameter(error);
            return error.getName() + (text instanceof String s ? ": " + s : "");
        }
        return failure != null ? String.valueOf(failure.getMessage()) : "an unexpected reply";
    }
}
