package org.gpupass.bus.wire;

/**
 * How large a message the reader takes in, decided from its header before any of its body is read.
 * A message over its limit is read past without being kept and, when it is a call that wants a
 * reply, answered with {@code org.freedesktop.DBus.Error.LimitsExceeded}.
 */
public interface MessageLimits {
    /** Header fields are names and a path: anything larger is read as a stream, its small fields kept. */
    int MAX_HEADER_FIELDS = 64 * 1024;
    /** A connection that takes no calls: no signal or reply it waits for is larger than this. */
    int SMALL = 64 * 1024;

    /** The largest body accepted for the message {@code header} describes, in bytes. */
    long maxBody(HeaderFields header);

    /** The same limit for every message. */
    static MessageLimits uniform(long bytes) {
        return header -> bytes;
    }
}
