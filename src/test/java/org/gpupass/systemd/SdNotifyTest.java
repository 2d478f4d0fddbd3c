package org.gpupass.systemd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class SdNotifyTest {
    @Test
    void sends_datagrams_to_a_path_socket(@TempDir Path dir) throws Exception {
        String path = dir.resolve("notify").toString();
        try (NotifySocket listener = new NotifySocket(path)) {
            SdNotify notify = SdNotify.from(Map.of("NOTIFY_SOCKET", path), 1);
            assertTrue(notify.enabled());
            assertTrue(notify.send("READY=1"));
            assertTrue(notify.send("STATUS=01:00.0 RTX 4070 Ti SUPER: vfio (win11) · 00:02.0 UHD 770: host"));
            assertEquals("READY=1", listener.next(5_000));
            assertEquals("STATUS=01:00.0 RTX 4070 Ti SUPER: vfio (win11) · 00:02.0 UHD 770: host", listener.next(5_000));
        }
        assertTrue(Files.exists(dir.resolve("notify")));
    }

    @Test
    void sends_datagrams_to_an_abstract_socket() throws Exception {
        String name = "@gpupass-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (NotifySocket listener = new NotifySocket(name)) {
            assertTrue(SdNotify.from(Map.of("NOTIFY_SOCKET", name), 1).send("STOPPING=1"));
            assertEquals("STOPPING=1", listener.next(5_000));
        }
    }

    @Test
    void is_a_no_op_outside_systemd() {
        SdNotify notify = SdNotify.from(Map.of(), 1);
        assertFalse(notify.enabled());
        assertFalse(notify.send("READY=1"));
        assertTrue(notify.watchdogInterval().isEmpty());
    }

    @Test
    void watchdog_at_half_of_watchdog_usec_for_this_pid_only() {
        Map<String, String> env = Map.of("NOTIFY_SOCKET", "/run/x", "WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42");
        assertEquals(Duration.ofSeconds(15), SdNotify.from(env, 42).watchdogInterval().orElseThrow());
        assertTrue(SdNotify.from(env, 43).watchdogInterval().isEmpty());
    }

    @Test
    void sockaddr_layout() {
        byte[] abstractName = SdNotify.sockaddr("@ab");
        assertArrayEquals(new byte[] {1, 0, 0, 'a', 'b'}, abstractName);
        assertArrayEquals(new byte[] {1, 0, '/', 'x', 0}, SdNotify.sockaddr("/x"));
        assertNull(SdNotify.sockaddr("relative"));
        assertNull(SdNotify.sockaddr("/" + "x".repeat(200)));
    }
}
