package org.gpupass.bus;

import java.util.HashMap;
import java.util.Map;

/**
 * What calls that move GPUs may hold while they wait, per caller: such a call waits first for the bus to
 * say who sent it, then (unless the caller is root) for polkit, then for the transition lock, and it
 * holds its arguments all the while (a ClaimDomain up to 1 MiB of XML). Root's calls are bounded only
 * while their sender is not yet known; an unprivileged caller's by its connection and its uid, and by a
 * share of the heap for all unprivileged callers together, so that no caller can make another's calls fail.
 * A call over a bound is refused at once with LimitsExceeded and the reason. Thread-safe.
 */
final class CallerBudget {
    /** Calls whose sender the bus has not named yet, from one connection, and their bytes from all. */
    static final int UNKNOWN_PER_CONNECTION = 32;
    static final long UNKNOWN_BYTES = 12L << 20;
    /**
     * A call of at most this many bytes is small (a Claim, a Release, a ClaimDomain with a real domain's
     * XML of some kilobytes): the last {@link #SMALL_RESERVE} of the unknown pool is for small calls only,
     * so that anyone's megabyte ClaimDomains from fresh connections cannot crowd out root's hook.
     */
    static final long SMALL_CALL = 128L << 10; // arguments cost 2 bytes a character: 64 Ki characters
    static final long SMALL_RESERVE = 2L << 20;
    /** An unprivileged caller's calls in flight: per connection, per uid, and the bytes of all of them. */
    static final int PER_CONNECTION = 4;
    static final int PER_UID = 8;
    static final long PER_UID_BYTES = 4L << 20;
    static final long UNPRIVILEGED_BYTES = 8L << 20;

    /** A call held: its connection, its uid once known, and what its arguments cost. */
    static final class Hold {
        final String sender;
        final long bytes;
        long uid = -1;
        boolean unknown;
        boolean unprivileged;

        Hold(String sender, long bytes) {
            this.sender = sender;
            this.bytes = bytes;
        }
    }

    private final Map<String, Integer> unknownPerConnection = new HashMap<>();
    private long unknownBytes;
    private final Map<String, Integer> perConnection = new HashMap<>();
    private final Map<Long, Integer> perUid = new HashMap<>();
    private final Map<Long, Long> perUidBytes = new HashMap<>();
    private long unprivilegedBytes;

    /** Takes a new call whose sender is not known yet; null, or why it is refused. */
    synchronized String admitUnknown(Hold hold) {
        int held = unknownPerConnection.getOrDefault(hold.sender, 0);
        if (held >= UNKNOWN_PER_CONNECTION) {
            return "this connection has " + held + " calls that move GPUs waiting to be identified (at most "
                    + UNKNOWN_PER_CONNECTION + ")";
        }
        long room = hold.bytes <= SMALL_CALL ? UNKNOWN_BYTES : UNKNOWN_BYTES - SMALL_RESERVE;
        if (unknownBytes + hold.bytes > room) {
            return "calls that move GPUs waiting to be identified hold " + mib(unknownBytes) + " already (at most "
                    + mib(room) + (room < UNKNOWN_BYTES ? " for calls over " + (SMALL_CALL >> 10) + " KiB" : "")
                    + "); try again";
        }
        unknownPerConnection.merge(hold.sender, 1, Integer::sum);
        unknownBytes += hold.bytes;
        hold.unknown = true;
        return null;
    }

    /**
     * The bus named the call's uid: it leaves the unknown pool, and an unprivileged one enters its caller's
     * bounds. Null, or why it is refused (then it holds nothing any more).
     */
    synchronized String identified(Hold hold, long uid, boolean privileged) {
        leaveUnknown(hold);
        hold.uid = uid;
        if (privileged) {
            return null;
        }
        int connection = perConnection.getOrDefault(hold.sender, 0);
        int calls = perUid.getOrDefault(uid, 0);
        long bytes = perUidBytes.getOrDefault(uid, 0L);
        if (connection >= PER_CONNECTION) {
            return "this connection already has " + connection + " calls that move GPUs in progress (at most "
                    + PER_CONNECTION + " for a caller that is not root)";
        }
        if (calls >= PER_UID) {
            return "uid " + uid + " already has " + calls + " calls that move GPUs in progress (at most " + PER_UID
                    + " for a caller that is not root)";
        }
        if (bytes + hold.bytes > PER_UID_BYTES) {
            return "the calls of uid " + uid + " in progress hold " + mib(bytes) + " of arguments (at most "
                    + mib(PER_UID_BYTES) + " for a caller that is not root)";
        }
        if (unprivilegedBytes + hold.bytes > UNPRIVILEGED_BYTES) {
            return "calls from callers that are not root hold " + mib(unprivilegedBytes) + " of arguments (at most "
                    + mib(UNPRIVILEGED_BYTES) + "); try again";
        }
        hold.unprivileged = true;
        perConnection.merge(hold.sender, 1, Integer::sum);
        perUid.merge(uid, 1, Integer::sum);
        perUidBytes.merge(uid, hold.bytes, Long::sum);
        unprivilegedBytes += hold.bytes;
        return null;
    }

    /** The call was answered: whatever it held is free. */
    synchronized void release(Hold hold) {
        leaveUnknown(hold);
        if (!hold.unprivileged) {
            return;
        }
        hold.unprivileged = false;
        decrement(perConnection, hold.sender);
        decrement(perUid, hold.uid);
        perUidBytes.computeIfPresent(hold.uid, (k, v) -> v - hold.bytes <= 0 ? null : v - hold.bytes);
        unprivilegedBytes -= hold.bytes;
    }

    private void leaveUnknown(Hold hold) {
        if (hold.unknown) {
            hold.unknown = false;
            decrement(unknownPerConnection, hold.sender);
            unknownBytes -= hold.bytes;
        }
    }

    /** Everything held now, for tests: calls whose sender is unknown, and unprivileged bytes. */
    synchronized String state() {
        return "unknown=" + unknownPerConnection + "/" + unknownBytes + " connections=" + perConnection + " uids="
                + perUid + "/" + unprivilegedBytes;
    }

    private static <K> void decrement(Map<K, Integer> counts, K key) {
        counts.computeIfPresent(key, (k, v) -> v <= 1 ? null : v - 1);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
