package org.gpupass.bus;

import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Flags;
import org.gpupass.bus.wire.DaemonWire;
import org.gpupass.bus.wire.RateLimitedLog;
import org.gpupass.bus.wire.Replies;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls that move GPUs (Claim, Release, ClaimDomain, ReleaseDomain), taken from the reader before
 * dbus-java sees them. dbus-java 5.2.0 gives an exported method no way to reply later, so a call waiting
 * there holds one of its pool's threads; here a call costs a queue entry while the bus names its sender
 * and polkit decides (which may take minutes), and a thread of its own only once authorized, while it
 * waits for the transition lock ({@code lock_timeout}, the core's rule) and runs. What each caller may
 * hold meanwhile is bounded by {@link CallerBudget}. The reply goes out through the same queue as the
 * signals, after every signal of the transition it answers.
 */
final class Mutations implements DaemonWire.Interceptor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Mutations.class);
    /** Authorized calls that may wait for the transition lock at once, each on a thread. */
    static final int WAITING_CALLS = 64;
    private static final String ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied";

    /** A core call. */
    interface CoreCall<T> {
        T run() throws GpuPassException;
    }

    /** A call that moves GPUs, ready to run: what it does (for messages), its reply's signature, the core call. */
    record Mutation(String what, String replySignature, CoreCall<Object> call) {
    }

    /**
     * An exported object's methods that move GPUs: the mutation a member and its arguments stand for.
     * (Not implemented by the objects themselves: dbus-java exports only objects whose interfaces are public.)
     */
    interface Mutable {
        Mutation mutation(String member, Object[] args);
    }

    /** A call taken: where its reply goes, what it does, what it holds. */
    private record Request(String sender, long serial, boolean wantsReply, Mutation mutation, CallerBudget.Hold hold) {
    }

    private final CallTable table;
    private final Function<String, Mutable> objects;
    private final Authorizer authorizer;
    private final CallerBudget budget = new CallerBudget();
    private final ScheduledExecutorService executor;
    private final Consumer<Message> replies;
    private final RateLimitedLog refusals;
    private final ThreadPoolExecutor transitions;

    /**
     * @param objects  the object exported at a path, or null
     * @param executor one thread for the bookkeeping and the bus's and polkit's replies
     * @param replies  sends a reply after the signals already queued
     */
    Mutations(CallTable table, Function<String, Mutable> objects, Authorizer authorizer,
              ScheduledExecutorService executor, Consumer<Message> replies, RateLimitedLog refusals) {
        this.table = table;
        this.objects = objects;
        this.authorizer = authorizer;
        this.executor = executor;
        this.replies = replies;
        this.refusals = refusals;
        AtomicInteger ids = new AtomicInteger();
        this.transitions = new ThreadPoolExecutor(0, WAITING_CALLS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "gpupassd-call-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** On the reader thread: takes the calls that move GPUs and answers malformed ones; quick, never blocks. */
    @Override
    public boolean intercept(MethodCall call) {
        Mutable target = objects.apply(call.getPath());
        CallTable.Verdict verdict = table.classify(call, target != null && !BusNames.MANAGER_PATH.equals(call.getPath()));
        boolean wantsReply = (call.getFlags() & Flags.NO_REPLY_EXPECTED) == 0;
        if (verdict instanceof CallTable.Refuse refuse) {
            reply(call.getSource(), call.getSerial(), wantsReply, refuse.error(), refuse.message());
            return true;
        }
        if (!(verdict instanceof CallTable.Mutate mutate) || target == null) {
            return false;
        }
        Object[] args;
        try {
            args = call.getParameters();
        } catch (DBusException | RuntimeException e) {
            reply(call.getSource(), call.getSerial(), wantsReply, "org.freedesktop.DBus.Error.InvalidArgs",
                    "Cannot read the arguments of " + mutate.member() + ": " + e.getMessage());
            return true;
        }
        Request request = new Request(call.getSource(), call.getSerial(), wantsReply,
                target.mutation(mutate.member(), args), new CallerBudget.Hold(call.getSource(), cost(args)));
        String over = budget.admitUnknown(request.hold());
        if (over != null) {
            limit(request, over);
            return true;
        }
        executor.execute(() -> identify(request));
        return true;
    }

    /** What a call's arguments hold on the heap, at most: two bytes a character, and some. */
    private static long cost(Object[] args) {
        long bytes = 256;
        for (Object a : args) {
            bytes += 64 + (a instanceof String s ? 2L * s.length() : 0);
        }
        return bytes;
    }

    private void identify(Request r) {
        authorizer.uidOf(r.sender()).whenComplete((uid, failure) -> {
            if (failure != null) {
                budget.release(r.hold());
                deny(r, -1, failure);
                return;
            }
            boolean privileged = authorizer.privileged(uid);
            String over = budget.identified(r.hold(), uid, privileged);
            if (over != null) {
                limit(r, over);
                return;
            }
            if (privileged) {
                run(r);
                return;
            }
            authorizer.requireManage(r.sender(), uid, r.mutation().what()).whenComplete((ok, denied) -> {
                if (denied != null) {
                    budget.release(r.hold());
                    deny(r, uid, denied);
                } else {
                    run(r);
                }
            });
        });
    }

    private void run(Request r) {
        try {
            transitions.execute(() -> transition(r));
        } catch (RejectedExecutionException e) {
            budget.release(r.hold());
            limit(r, WAITING_CALLS + " calls that move GPUs already wait for the transition lock; try again");
        }
    }

    /** On a thread of its own: the core call (which waits for the lock), then the reply, after its signals. */
    private void transition(Request r) {
        Message reply;
        try {
            Object result = r.mutation().call().run();
            reply = Replies.methodReturn(r.sender(), r.serial(), r.mutation().replySignature(), result);
        } catch (GpuPassException e) {
            reply = error(r.sender(), r.serial(), org.gpupass1.Error.nameOf(e.kind()), e.getMessage());
        } catch (DBusException | RuntimeException e) {
            LOG.error("Internal error in {} for {}", Printable.clip(r.mutation().what()), r.sender(), e);
            reply = error(r.sender(), r.serial(), "org.freedesktop.DBus.Error.Failed", "Internal error in gpupassd ("
                    + e + "); the journal has details");
        } finally {
            budget.release(r.hold());
        }
        if (r.wantsReply() && reply != null) {
            replies.accept(reply);
        }
    }

    private void deny(Request r, long uid, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        String why = cause instanceof Authorizer.Denied ? cause.getMessage()
                : "Not authorized to " + r.mutation().what() + ": " + cause;
        refusals.info("Refused {} to uid {} ({}): {}", r.mutation().what(), uid, r.sender(), why);
        reply(r.sender(), r.serial(), r.wantsReply(), ACCESS_DENIED, why);
    }

    private void limit(Request r, String why) {
        refusals.warn("Refused {} to {}: {}", r.mutation().what(), r.sender(), why);
        reply(r.sender(), r.serial(), r.wantsReply(), DaemonWire.LIMITS_EXCEEDED, "Not now: " + why);
    }

    private void reply(String sender, long serial, boolean wantsReply, String name, String message) {
        Message error = wantsReply ? error(sender, serial, name, message) : null;
        if (error != null) {
            replies.accept(error);
        }
    }

    private static Message error(String sender, long serial, String name, String message) {
        try {
            return Replies.error(sender, serial, name, message);
        } catch (DBusException e) {
            LOG.warn("Could not make the {} reply for {}: {}", name, sender, e.getMessage());
            return null;
        }
    }

    /**
     * For the Java methods of the exported objects that move GPUs: dbus-java never calls them, as the reader
     * hands those calls here; should one get through, it is refused rather than run unauthorized.
     */
    static org.freedesktop.DBus.Error.Failed notHere(String member) {
        return new org.freedesktop.DBus.Error.Failed(member + " is answered by gpupassd's call dispatcher, not here");
    }

    /** What the calls in progress hold, for tests. */
    String held() {
        return budget.state();
    }

    @Override
    public void close() {
        transitions.shutdown();
    }
}
