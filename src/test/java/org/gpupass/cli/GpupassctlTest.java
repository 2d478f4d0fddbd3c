package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.ErrorKind;
import org.junit.jupiter.api.Test;

class GpupassctlTest {
    @Test
    void every_spec_error_has_its_own_documented_exit_code() {
        Set<Integer> codes = new HashSet<>();
        for (ErrorKind kind : ErrorKind.values()) {
            int code = Gpupassctl.exitCode(kind.dbusName());
            assertTrue(code >= 3 && code <= 16, kind + " -> " + code);
            assertTrue(Gpupassctl.USAGE.contains(code + " " + kind.shortName()), kind + " documented as " + code);
            codes.add(code);
        }
        assertEquals(ErrorKind.values().length, codes.size());
        assertEquals(17, Gpupassctl.exitCode("org.freedesktop.DBus.Error.ServiceUnknown"));
        assertEquals(1, Gpupassctl.exitCode("org.freedesktop.DBus.Error.NoReply"));
    }

    @Test
    void usage_errors_exit_2_without_touching_the_bus() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Gpupassctl ctl = new Gpupassctl(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        for (List<String> args : List.of(List.<String>of(), List.of("frob"), List.of("claim", "01:00.0"),
                List.of("release"), List.of("status", "extra"), List.of("--nope", "status"),
                List.of("--timeout=soon", "status"))) {
            assertEquals(2, ctl.run(args.toArray(String[]::new)), args.toString());
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage: gpupassctl"));
        assertEquals(0, ctl.run("--help"));
    }

    @Test
    void offline_commands_run_without_a_bus_and_keep_their_own_options() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Gpupassctl ctl = new Gpupassctl(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        assertEquals(0, ctl.run("hostdev-xml", "--simulate=dual-gpu", "01:00.0"));
        String xml = out.toString(StandardCharsets.UTF_8);
        assertTrue(xml.contains("function='0x0'") && xml.contains("function='0x1'"), xml);
        out.reset();
        assertEquals(1, ctl.run("doctor", "--simulate=shared-group", "--json"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("{\"ok\":false"), out.toString());
        assertEquals(2, ctl.run("hostdev-xml", "--simulate", "01:00"));
    }

    @Test
    void json_output() {
        Map<String, Variant<?>> gpu = new java.util.LinkedHashMap<>();
        gpu.put("Address", new Variant<>("0000:01:00.0"));
        gpu.put("VendorId", new Variant<>(new UInt16(0x10de)));
        gpu.put("Claimable", new Variant<>(true));
        gpu.put("Blockers", new Variant<>(List.of("a \"quoted\"\nline\u0001"), "as"));
        assertEquals("[{\"Address\":\"0000:01:00.0\",\"VendorId\":4318,\"Claimable\":true,"
                + "\"Blockers\":[\"a \\\"quoted\\\"\\nline\\u0001\"]}]", Json.of(List.of(gpu)));
    }
}
