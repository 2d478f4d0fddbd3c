package org.gpupass.bus.wire;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.gpupass.model.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's side of one bus connection, below dbus-java: the size limits of its reader, the calls the
 * reader answers itself ({@link FastReplies}) or hands to the daemon ({@link Interceptor}) instead of to
 * dbus-java, the replies to the daemon's own asynchronous calls ({@link #call}), and the names the
 * connection owns. dbus-java gets this reader and writer through {@link GatheringSocketProvider} only for
 * a connection built by {@link #connect}: other connections in the process keep dbus-java's own.
 */
public final class DaemonWire {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonWire.class);
    private static final String BUS = "org.freedesktop.DBus";
    public static final String LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded";
    private static final String FAILED = "org.freedesktop.DBus.Error.Failed";

    /** Calls the daemon takes over from dbus-java; called on the reader thread, so it must not block. */
    public interface Interceptor {
        /** True when the call was taken (it is answered later, or was answered already). */
        boolean intercept(MethodCall call);
    }

    /** A call of the daemon's own waiting for its reply, and its timeout (cancelled by the reply). */
    private record Pending(CompletableFuture<Message> reply, ScheduledExecutorService executor,
                           CompletableFuture<ScheduledFuture<?>> timeout) {
    }

    /** Calls handed to dbus-java and not answered yet: per connection, and in all. */
    static final int CALLS_PER_CONNECTION = 16;
    static final int CALLS_IN_FLIGHT = 256;
    /** A call dbus-java has not answered after this long is no longer counted (dbus-java dropped it). */
    private static final long FORGET_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final MessageLimits limits;
    /** "sender serial" of each call handed to dbus-java → when; guarded by itself. */
    private final LinkedHashMap<String, Long> inFlight = new LinkedHashMap<>();
    private final Map<String, Integer> inFlightPerSender = new HashMap<>();
    private final FastReplies fastReplies = new FastReplies();
    private final Set<String> ownedNames = ConcurrentHashMap.newKeySet(); // written by the reader thread only
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final RateLimitedLog refusals;
    private volatile Interceptor interceptor;
    private volatile boolean signalsFromTheBusOnly;
    private volatile GatheringMessageWriter writer;
    private volatile BufferedMessageReader reader;

    /** @param timer for the refusal log's counts (see {@link RateLimitedLog}); may be null */
    public DaemonWire(MessageLimits limits, ScheduledExecutorService timer) {
        this.limits = limits;
        this.refusals = new RateLimitedLog(LOG, Duration.ofSeconds(10), 10, timer);
    }

    /**
     * Builds the connection with this wire under it. dbus-java 5.2.0 connects inside {@code build()}, on
     * the calling thread, and asks the socket provider for a reader and a writer there; the provider
     * serves this wire only while it is armed on this thread. Fails if dbus-java did not ask.
     */
    public DBusConnection connect(DBusConnectionBuilder builder) throws DBusException {
        DBusConnection connection = GatheringSocketProvider.armed(this, builder::build);
        if (reader == null || writer == null) {
            connection.disconnect();
            throw new DBusException("dbus-java did not take gpupassd's socket reader and writer for this connection");
        }
        return connection;
    }

    /** A connection to the system bus with a wire that takes no calls (the daemon's link to systemd). */
    public static DBusConnection systemBus() throws DBusException {
        return new DaemonWire(MessageLimits.uniform(MessageLimits.SMALL), null)
                .connect(DBusConnectionBuilder.forSystemBus().withShared(false));
    }

    /**
     * An executor for {@link #call}: one daemon thread, and a cancelled timeout is removed from its queue
     * at once, so answered calls hold no memory.
     */
    public static ScheduledThreadPoolExecutor callExecutor(String threadName) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, Threads.daemon(threadName));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    public FastReplies fastReplies() {
        return fastReplies;
    }

    public RateLimitedLog refusals() {
        return refusals;
    }

    /**
     * From now on, signals not sent by the bus itself are dropped here: the daemon listens to none, and
     * any local user may send them (dbus-java would queue each for its signal thread, without bound).
     */
    public void takeSignalsFromTheBusOnly() {
        signalsFromTheBusOnly = true;
    }

    /** From now on, method calls to this connection are offered to {@code interceptor} first. */
    public void intercept(Interceptor interceptor) {
        this.interceptor = interceptor;
    }

    MessageLimits limits() {
        return limits;
    }

    void attach(BufferedMessageReader reader) {
        this.reader = reader;
    }

    void attach(GatheringMessageWriter writer) {
        this.writer = writer;
    }

    GatheringMessageWriter writer() {
        return writer;
    }

    /** Whether this connection owns {@code name} (its unique name or a well-known one), as the bus told it. */
    public boolean owns(String name) {
        return name != null && ownedNames.contains(name);
    }

    /** Writes {@code message} to the socket now, ahead of whatever dbus-java's sender thread still holds. */
    public void send(Message message) throws IOException {
        GatheringMessageWriter w = writer;
        if (w == null) {
            throw new IOException("not connected");
        }
        w.writeMessage(message);
    }

    /**
     * Sends {@code call} and completes the result with its reply (a method return or an error) on
     * {@code executor}, or with a {@link TimeoutException} after {@code timeout}. No thread waits meanwhile.
     * The reply cancels the timeout: a timer task per call would otherwise hold the call and its reply for
     * the whole timeout (polkit's is 5 minutes), and a caller refused over and over would fill the heap.
     */
    public CompletableFuture<Message> call(MethodCall call, Duration timeout, ScheduledExecutorService executor) {
        CompletableFuture<Message> reply = new CompletableFuture<>();
        long serial = call.getSerial();
        String what = call.getInterface() + "." + call.getName();
        Pending p = new Pending(reply, executor, new CompletableFuture<>());
        pending.put(serial, p);
        p.timeout().complete(executor.schedule(() -> {
            if (pending.remove(serial) != null) {
                reply.completeExceptionally(new TimeoutException("no reply to " + what + " within "
                        + timeout.toSeconds() + " s"));
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS));
        try {
            send(call);
        } catch (IOException | RuntimeException e) {
            pending.remove(serial);
            reply.completeExceptionally(e);
        }
        return reply;
    }

    /**
     * What the reader does with a whole message: a reply to one of the daemon's own calls completes it; a
     * call is answered by a fast reply or taken by the interceptor; everything else goes on to dbus-java.
     *
     * @return the message for dbus-java, or null when it was dealt with here
     */
    Message route(Message message, HeaderFields header) throws IOException, DBusException {
        try {
            return dispatch(message, header);
        } catch (RuntimeException e) {
            // dbus-java's reader thread ends, silently, on anything but a DBusException: the daemon would
            // stay deaf with systemd told all is well. The message is answered Failed and dropped instead.
            refusals.warn("Dropped a {}: the daemon's reader failed on it: {}", header.describe(), e.toString());
            answerError(header, FAILED, "gpupassd could not take this message (" + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    private Message dispatch(Message message, HeaderFields header) throws IOException, DBusException {
        if (header.isReply()) {
            Pending p = pending.remove(header.replySerial);
            if (p != null) {
                p.timeout().thenAccept(t -> t.cancel(false));
                p.executor().execute(() -> p.reply().complete(message));
                return null;
            }
            return message;
        }
        if (message instanceof DBusSignal signal) {
            if (signalsFromTheBusOnly && !BUS.equals(signal.getSource())) {
                refusals.warn("Dropped a signal {}.{} from {}", signal.getInterface(), signal.getName(), signal.getSource());
                return null;
            }
            follow(signal);
            return message;
        }
        if (!(message instanceof MethodCall call) || !owns(call.getDestination())) {
            return message;
        }
        PreparedReply fast;
        try {
            fast = fastReplies.replyTo(call, this::owns);
        } catch (DBusException | RuntimeException e) {
            LOG.debug("Handing {} to dbus-java: {}", call.getName(), e.toString());
            fast = null;
        }
        if (fast != null) {
            send(fast);
            return null;
        }
        Interceptor taker = interceptor;
        if (taker != null && taker.intercept(call)) {
            return null;
        }
        return toDbusJava(call, header);
    }

    /**
     * dbus-java queues every call it gets for its pool, without bound. What goes there is a read (the calls
     * that move GPUs are the interceptor's): one that wants no reply does nothing and is dropped, and a
     * connection may have {@value #CALLS_PER_CONNECTION} unanswered, all together {@value #CALLS_IN_FLIGHT}.
     */
    private Message toDbusJava(MethodCall call, HeaderFields header) throws IOException {
        if (!header.wantsReply()) {
            return null;
        }
        String sender = String.valueOf(call.getSource());
        String why;
        synchronized (inFlight) {
            long now = System.nanoTime();
            for (var it = inFlight.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Long> oldest = it.next();
                if (now - oldest.getValue() < FORGET_NANOS) {
                    break;
                }
                it.remove();
                forget(oldest.getKey());
            }
            int mine = inFlightPerSender.getOrDefault(sender, 0);
            why = mine >= CALLS_PER_CONNECTION ? "this connection has " + mine + " calls unanswered (at most "
                    + CALLS_PER_CONNECTION + ")" : inFlight.size() >= CALLS_IN_FLIGHT ? inFlight.size()
                    + " calls are unanswered (at most " + CALLS_IN_FLIGHT + "); try again" : null;
            if (why == null) {
                inFlight.put(sender + " " + call.getSerial(), now);
                inFlightPerSender.merge(sender, 1, Integer::sum);
                return call;
            }
        }
        refuse(header, why);
        return null;
    }

    /** The writer saw a reply go out: the call it answers is no longer in flight. */
    void answered(String destination, long replySerial) {
        synchronized (inFlight) {
            String key = destination + " " + replySerial;
            if (inFlight.remove(key) != null) {
                forget(key);
            }
        }
    }

    private void forget(String key) {
        String sender = key.substring(0, key.lastIndexOf(' '));
        inFlightPerSender.computeIfPresent(sender, (k, v) -> v <= 1 ? null : v - 1);
    }

    /**
     * A message over its limit, read past: a call that wants a reply is answered LimitsExceeded (to the
     * sender, with the serial from its header); anything else is dropped. Logged, rate-limited.
     */
    void refuse(HeaderFields header, String why) throws IOException {
        refusals.warn("Refused a {} ({} bytes): {}", header.describe(), header.bodyLength(), why);
        answerError(header, LIMITS_EXCEEDED, why);
    }

    /** The error {@code name} to the sender of a call that wants a reply, with the serial from its header. */
    private void answerError(HeaderFields header, String name, String why) throws IOException {
        if (!header.wantsReply() || header.sender == null) {
            return;
        }
        try {
            send(Replies.error(header.sender, header.serial, name, why));
        } catch (DBusException e) {
            LOG.warn("Could not answer a refused message: {}", e.getMessage());
        }
    }

    /** The bus tells each connection which names it gains and loses, its unique name first. */
    private void follow(DBusSignal signal) throws DBusException {
        if (!BUS.equals(signal.getSource()) || !BUS.equals(signal.getInterface())) {
            return;
        }
        boolean acquired = "NameAcquired".equals(signal.getName());
        if ((acquired || "NameLost".equals(signal.getName())) && "s".equals(signal.getSig())
                && signal.getParameters()[0] instanceof String name) {
            if (acquired) {
                ownedNames.add(name);
            } else {
                ownedNames.remove(name);
            }
        }
    }
}
