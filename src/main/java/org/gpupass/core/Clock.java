package org.gpupass.core;

import java.time.Instant;

/** The wall clock as the API spells it: µs since the Unix epoch ({@code Since}, claim records). */
final class Clock {
    private Clock() {
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
