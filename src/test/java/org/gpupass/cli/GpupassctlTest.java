package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.model.ErrorKind;
import org.junit.jupiter.api.Test;

class GpupassctlTest {
    @Test
    void every_spec_error_has_its_own_documented_exit_code() {
        Set<Integer> codes = new HashSet<>();
        for (ErrorKind kind : ErrorKind.values()) {
            int code = Gpupassctl.exitCode(org.gpupass1.Error.nameOf(kind));
            assertTrue(code >= 3 && code <= 16, kind + " -> " + code);
            assertTrue(Gpupassctl.USAGE.contains(code + " " + kind.shortName()), kind + " documented as " + code);
            codes.add(code);
        }
        assertEquals(ErrorKind.values().length, codes.size());
        assertEquals(17, Gpupassctl.exitCode("org.freedesktop.DBus.Error.ServiceUnknown"));
        assertEquals(1, Gpupassctl.exitCode("org.freedesktop.DBus.Error.NoReply"));
    }

    /** Runs gpupassctl; the bus is never reached (a socket that does not exist), so exit 2 can only be usage. */
    private record Run(int code, String out, String err) {
    }

    private static Run withStdin(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Gpupassctl(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run run(String... args) {
        return withStdin("", args);
    }

    private static final String NO_BUS = "--bus=unix:path=/nonexistent/gpupass-test/bus";

    private static void assertUsage(Run run, String message, List<String> args) {
        assertEquals(2, run.code(), args + ": " + run.err());
        assertTrue(run.err().contains(message), args + ": " + run.err());
        assertTrue(run.err().contains("Usage: gpupassctl"), args + ": " + run.err());
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), args + ": " + run.err());
        assertTrue(run.out().isEmpty(), args + ": " + run.out());
    }

    @Test
    void usage_errors_exit_2_without_touching_the_bus() {
        for (List<String> args : List.of(List.<String>of(), List.of("frob"), List.of("claim", "01:00.0"),
                List.of("release"), List.of("status", "extra"), List.of("--nope", "status"),
                List.of("--timeout=soon", "status"), List.of("monitor", "x"), List.of("claim-domain"),
                List.of("claim", "a", "b", "c"), List.of("release", "a", "b", "c"))) {
            assertUsage(run(args.toArray(String[]::new)), "gpupassctl: ", args);
        }
        assertEquals(0, run("--help").code());
    }

    @Test
    void a_bad_timeout_is_a_usage_error_not_a_stack_trace() {
        for (String t : List.of("-1", "0", "0.0", "0.0004", "-0.5", "NaN", "Infinity", "1e3", "0x10", " 5", "5s",
                "", "2147484", "99999999999999")) {
            List<String> args = List.of(NO_BUS, "--timeout=" + t, "status");
            assertUsage(run(args.toArray(String[]::new)), "--timeout", args);
        }
        // accepted: the call then fails on the missing bus (exit 1), not on the option
        for (String t : List.of("1", "0.5", ".5", "300", "2147483", "0.001")) {
            Run ok = run(NO_BUS, "--timeout=" + t, "status");
            assertEquals(1, ok.code(), t + ": " + ok.err());
        }
    }

    @Test
    void a_bad_bus_address_is_a_usage_error_not_a_stack_trace() {
        for (String bus : List.of("garbage", "", "unix:", "unix:path=", "a:b", ":", "tcp:host=localhost,port=1",
                "unix:abstract=/x", "unix:path=/a;unix:path=/b", "unix:path=/x,frob=1")) {
            List<String> args = List.of("--bus=" + bus, "status");
            assertUsage(run(args.toArray(String[]::new)), "--bus", args);
        }
        assertUsage(run("status", "--bus"), "--bus needs a value", List.of("--bus"));
    }

    @Test
    void an_unreachable_bus_fails_at_once_naming_the_address_and_what_to_check() throws Exception {
        Run missing = run(NO_BUS, "status");
        assertEquals(1, missing.code());
        assertEquals("gpupassctl: cannot connect to the bus unix:path=/nonexistent/gpupass-test/bus: "
                + "/nonexistent/gpupass-test/bus does not exist; check that a bus listens on that address (the --bus= "
                + "option)\n", missing.err());
        java.nio.file.Path file = java.nio.file.Files.createTempFile("gpupass-not-a-socket", "");
        try {
            Run notSocket = run("--bus=unix:path=" + file, "status");
            assertEquals(1, notSocket.code());
            assertTrue(notSocket.err().contains(file + " is not a socket"), notSocket.err());
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @Test
    void options_may_come_anywhere_before_double_dash_for_every_command() {
        // Each of these reaches the (missing) bus, so it parsed: exit 1, not 2.
        for (List<String> args : List.of(List.of(NO_BUS, "claim", "01:00.0", "win11"),
                List.of("claim", NO_BUS, "01:00.0", "win11"), List.of("claim", "01:00.0", "win11", NO_BUS),
                List.of("release", "01:00.0", NO_BUS), List.of("status", NO_BUS, "--json"),
                List.of("--json", NO_BUS, "status"), List.of("monitor", NO_BUS), List.of("--timeout=5", NO_BUS, "status"),
                List.of(NO_BUS, "--", "claim", "01:00.0", "--json"), List.of(NO_BUS, "claim", "--", "01:00.0", "-x"),
                List.of(NO_BUS, "release", "01:00.0", "--", "--vm"), List.of(NO_BUS, "claim", "", "win11"))) {
            Run r = run(args.toArray(String[]::new));
            assertEquals(1, r.code(), args + ": " + r.err());
            assertTrue(r.err().contains("cannot connect to the bus"), args + ": " + r.err());
        }
    }

    @Test
    void an_unknown_option_is_a_usage_error_wherever_it_stands() {
        // claim 03:00.0 --json used to claim for a holder named "--json"
        for (List<String> args : List.of(List.of(NO_BUS, "claim", "03:00.0", "--json"),
                List.of(NO_BUS, "release", "03:00.0", "--vm"), List.of(NO_BUS, "claim", "--json", "03:00.0", "vm"),
                List.of(NO_BUS, "claim", "03:00.0", "-x"), List.of(NO_BUS, "status", "-j"),
                List.of(NO_BUS, "monitor", "--json"), List.of(NO_BUS, "claim-domain", "--xml=x", "vm"))) {
            Run r = run(args.toArray(String[]::new));
            assertUsage(r, "unknown option: ", args);
        }
        Run json = run(NO_BUS, "claim", "03:00.0", "--json");
        assertTrue(json.err().contains("claim -- DEVICE HOLDER"), "says how to pass such a holder: " + json.err());
    }

    @Test
    void an_option_with_a_wrong_value_or_twice_is_a_usage_error() {
        assertUsage(run(NO_BUS, "status", "--json=yes"), "--json takes no value", List.of("--json=yes"));
        assertUsage(run(NO_BUS, NO_BUS, "status"), "--bus given more than once", List.of("twice"));
        assertUsage(run("--timeout", NO_BUS, "status"), "--timeout needs a value", List.of("--timeout"));
        assertUsage(run(NO_BUS, "status", "--help=x"), "", List.of("--help=x")); // help wins, but never a value
    }

    @Test
    void help_and_version_work_with_every_command() {
        for (String command : List.of("status", "claim", "release", "monitor", "claim-domain")) {
            Run help = run(command, "--help");
            assertEquals(0, help.code(), command);
            assertTrue(help.out().startsWith("Usage: gpupassctl"), command);
            Run version = run(command, "--version");
            assertEquals(0, version.code(), command);
            assertTrue(version.out().startsWith("gpupassctl "), command);
        }
        assertTrue(run("doctor", "-h").out().startsWith("Usage: gpupassctl doctor"));
        assertTrue(run("hostdev-xml", "--help").out().startsWith("Usage: gpupassctl hostdev-xml"));
        assertEquals(0, run("--version").code());
    }

    @Test
    void offline_commands_refuse_the_bus_options() {
        assertEquals(2, run(NO_BUS, "doctor").code());
        assertEquals(2, run("hostdev-xml", "--timeout=5", "--simulate", "01:00.0").code());
        assertEquals(2, run("--bogus", "doctor", "--simulate").code()); // used to be dropped silently
    }

    @Test
    void claim_domain_checks_its_stdin_before_the_bus() {
        Run empty = withStdin("", NO_BUS, "claim-domain", "vm");
        assertEquals(3, empty.code(), empty.err());
        assertTrue(empty.err().contains("no domain XML on stdin"), empty.err());
        Run big = withStdin("<domain>" + "x".repeat(1 << 20) + "</domain>", NO_BUS, "claim-domain", "vm");
        assertEquals(3, big.code(), big.err());
        assertTrue(big.err().contains("larger than 1 MiB"), big.err());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Gpupassctl(new ByteArrayInputStream(new byte[] {'<', (byte) 0xff, '>'}),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(NO_BUS, "claim-domain", "vm");
        assertEquals(3, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not UTF-8"), err.toString(StandardCharsets.UTF_8));
        Run ok = withStdin("<domain/>", NO_BUS, "claim-domain", "--", "-vm");
        assertEquals(1, ok.code(), "read and sent on: " + ok.err());
    }

    @Test
    void offline_commands_run_without_a_bus_and_keep_their_own_options() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Gpupassctl ctl = new Gpupassctl(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        assertEquals(0, ctl.run("hostdev-xml", "--simulate=dual-gpu", "01:00.0"));
        out.reset();
        assertEquals(0, ctl.run("--simulate=dual-gpu", "hostdev-xml", "01:00.0"), "options before the command too");
        String xml = out.toString(StandardCharsets.UTF_8);
        assertTrue(xml.contains("function='0x0'") && xml.contains("function='0x1'"), xml);
        out.reset();
        assertEquals(1, ctl.run("doctor", "--simulate=shared-group", "--json"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("{\"ok\":false"), out.toString());
        assertEquals(3, ctl.run("hostdev-xml", "--simulate", "01:00"), "malformed: InvalidArgument");
        assertEquals(4, ctl.run("hostdev-xml", "--simulate", "00:17.0"), "not a GPU: NoSuchDevice");
    }

    @Test
    void a_gpu_path_names_its_address() {
        assertEquals("0000:01:00.0", Gpupassctl.addressOf("/org/gpupass1/gpu/pci_0000_01_00_0"));
        assertEquals("000a:0b:1f.7", Gpupassctl.addressOf("/org/gpupass1/gpu/pci_000a_0b_1f_7"));
        assertEquals("/org/gpupass1/gpu/other", Gpupassctl.addressOf("/org/gpupass1/gpu/other"));
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
