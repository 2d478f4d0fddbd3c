package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.gpupass1.Error;
import org.gpupass1.Manager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every error name from bad input, each leaving the state as it was. */
@Timeout(120)
class BadInputIT {
    private static final String OK_XML = """
            <domain type='kvm'><name>win11</name><devices>
              <hostdev mode='subsystem' type='pci' managed='%s'>
                <source><address domain='0x0000' bus='0x01' slot='0x00' function='%s'/></source>
              </hostdev></devices></domain>""";
    private static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = Daemon.start("");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    static Stream<Arguments> badInputs() {
        List<Arguments> all = new ArrayList<>();
        String invalid = "org.gpupass1.Error.InvalidArgument";
        for (String device : List.of("zz:00.0", "01:00", "0000:01:00.8", "1:00.0", " 01:00.0", "01:00.0 ",
                "0000:01:00.0\n", "01:20.0", "g000:01:00.0", "0000:01:00.0.0", "0000-01-00.0", "../../../etc/passwd",
                "/sys/bus/pci/devices/0000:01:00.0", "01:00.0;reboot", "pci_0000_01_00_0", "10de:2705", "0x01:00.0",
                "0000:001:00.0", "01:00.-1", "\u00e9\u00e9:00.0", "%s%s%n", "x".repeat(300), "01:00.0\u0000"
                        .replace("\u0000", "\u0001"))) {
            all.add(Arguments.of("Claim device '" + printable(device) + "'", "Claim",
                    List.of("string:" + device, "string:vm"), invalid));
        }
        for (String holder : List.of("", "h".repeat(129), "a\nb", "a\tb", "\u0001", "del\u007f", "\u202eevil",
                "esc\u001b[31m")) {
            all.add(Arguments.of("Claim holder '" + printable(holder) + "'", "Claim",
                    List.of("string:01:00.0", "string:" + holder), invalid));
            all.add(Arguments.of("Release holder '" + printable(holder) + "'", "Release",
                    List.of("string:01:00.0", "string:" + holder), holder.isEmpty() ? null : invalid));
        }
        String[][] refusedDevices = { // what, method, device (holder vm), error
                {"Claim a SATA controller", "Claim", "00:17.0", "NoSuchDevice"},
                {"Claim a PCIe root port", "Claim", "00:01.0", "NoSuchDevice"},
                {"Claim an absent device", "Claim", "05:00.0", "NoSuchDevice"},
                {"Claim in another PCI domain", "Claim", "0001:01:00.0", "NoSuchDevice"},
                {"Release an absent device", "Release", "05:00.0", "NoSuchDevice"},
                {"Claim the boot display", "Claim", "00:02.0", "BootDisplay"}};
        for (String[] r : refusedDevices) {
            all.add(Arguments.of(r[0], r[1], List.of("string:" + r[2], "string:vm"), "org.gpupass1.Error." + r[3]));
        }
        for (String xml : List.of("", "not xml", "<domain>", "<domain><name>x</name>", "<vm/>",
                "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x 'y'>]><domain><name>&x;</name></domain>",
                "<!DOCTYPE d [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><domain><name>&xxe;</name></domain>",
                "<!DOCTYPE domain SYSTEM 'http://127.0.0.1:9/x.dtd'><domain/>",
                "<!DOCTYPE d [<!ENTITY % p SYSTEM 'file:///etc/shadow'> %p;]><domain/>",
                billionLaughs(),
                "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include href='file:///etc/passwd' "
                        + "parse='text'/></domain>",
                "<domain><devices><hostdev mode='subsystem' type='pci' managed='maybe'><source><address domain='0x0000'"
                        + " bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>",
                "<domain><devices><hostdev mode='subsystem' type='pci'><source/></hostdev></devices></domain>",
                OK_XML.formatted("no", "0x9"),
                OK_XML.formatted("no", "zero"),
                "<domain>" + "<a>".repeat(300) + "</a>".repeat(300) + "</domain>")) {
            all.add(Arguments.of("ClaimDomain XML '" + printable(xml) + "'", "ClaimDomain",
                    List.of("string:win11", "string:" + xml), invalid));
        }
        all.add(Arguments.of("ClaimDomain managed='yes' on the GPU", "ClaimDomain",
                List.of("string:win11", "string:" + OK_XML.formatted("yes", "0x0")), "org.gpupass1.Error.ManagedHostdev"));
        all.add(Arguments.of("ClaimDomain managed='yes' on its audio function", "ClaimDomain",
                List.of("string:win11", "string:" + OK_XML.formatted("yes", "0x1")), "org.gpupass1.Error.ManagedHostdev"));
        all.add(Arguments.of("ClaimDomain empty domain name", "ClaimDomain",
                List.of("string:", "string:" + OK_XML.formatted("no", "0x0")), invalid));
        all.add(Arguments.of("ClaimDomain control characters in the name", "ClaimDomain",
                List.of("string:a\nb", "string:" + OK_XML.formatted("no", "0x0")), invalid));
        all.add(Arguments.of("ReleaseDomain empty name", "ReleaseDomain", List.of("string:"), invalid));
        all.add(Arguments.of("ReleaseDomain control characters", "ReleaseDomain", List.of("string:\u0007"), invalid));
        return all.stream();
    }

    private static String billionLaughs() {
        StringBuilder dtd = new StringBuilder("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>");
        dtd.append("<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>");
        for (int i = 2; i <= 9; i++) {
            dtd.append("<!ENTITY lol").append(i).append(" '").append(("&lol" + (i - 1) + ";").repeat(10)).append("'>");
        }
        return dtd.append("]><domain><name>&lol9;</name></domain>").toString();
    }

    private static String printable(String s) {
        String clipped = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        StringBuilder out = new StringBuilder();
        clipped.codePoints().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\x%02x", c)
                : new String(Character.toChars(c))));
        return out.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void is_refused_with_the_spec_error_and_changes_nothing(String what, String method, List<String> args,
                                                            String error) {
        String before = daemon.status();
        Cmd reply = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager." + method, args.toArray(String[]::new));
        if (error == null) {
            assertTrue(reply.ok(), reply.toString());
        } else {
            assertFalse(reply.ok(), what + ": " + reply);
            assertTrue(reply.err().startsWith("Error " + error + ": "), what + ": " + reply);
            assertTrue(reply.err().length() > ("Error " + error + ": ").length() + 10, "a message: " + reply);
        }
        if (error == null || error.endsWith(".InvalidArgument")) {
            assertEquals(before, daemon.status(), what + " changed the state");
        } else {
            // A refusal such as BootDisplay may be remembered in LastError; nothing else may change.
            assertEquals(withoutLastError(before), withoutLastError(daemon.status()), what + " changed the state");
        }
        assertTrue(daemon.process().isAlive());
    }

    private static String withoutLastError(String status) {
        return status.replaceAll("\"LastError\":\\{\"type\":\"s\",\"data\":\"(?:[^\"\\\\]|\\\\.)*\"}", "");
    }

    @Test
    void has_at_least_forty_cases() {
        assertTrue(badInputs().count() >= 40, "cases: " + badInputs().count());
    }

    @Test
    void a_domain_xml_over_one_mib_is_refused() throws Exception {
        String before = daemon.status();
        String big = OK_XML.formatted("no", "0x0").replace("<name>", "<description>" + "x".repeat(1 << 20)
                + "</description><name>");
        try (DBusConnection conn = DBusConnectionBuilder.forAddress(daemon.address).withShared(false).build()) {
            Manager manager = conn.getRemoteObject(Daemon.NAME, Daemon.MANAGER, Manager.class);
            Error.InvalidArgument e = org.junit.jupiter.api.Assertions.assertThrows(Error.InvalidArgument.class,
                    () -> manager.ClaimDomain("win11", big));
            assertTrue(e.getMessage().contains("1 MiB"), e.getMessage());
        }
        assertEquals(before, daemon.status());
    }

    @Test
    void wrong_signatures_are_refused_with_invalid_args_without_a_change() {
        String before = daemon.status();
        Cmd reply = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0");
        assertTrue(reply.err().startsWith("Error org.freedesktop.DBus.Error.InvalidArgs: "), reply.toString());
        Cmd intArgs = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "int32:1", "int32:2");
        assertTrue(intArgs.err().startsWith("Error org.freedesktop.DBus.Error.InvalidArgs: "), intArgs.toString());
        assertEquals(before, daemon.status());
    }

    /** The standard names, as busctl and dbus-send see them, for what dbus-java used to name in Java. */
    @Test
    void unknown_objects_methods_and_interfaces_have_the_standard_error_names() {
        String gone = "/org/gpupass1/gpu/pci_0000_07_00_0";
        assertError("UnknownObject", daemon.dbusSend(gone, "org.gpupass1.Gpu.Claim", "string:vm"));
        assertError("UnknownObject", gdbusCall(gone, "org.gpupass1.Gpu.Release", "'vm'"));
        assertError("UnknownObject", daemon.dbusSend(gone, "org.freedesktop.DBus.Introspectable.Introspect"));
        assertError("UnknownObject", daemon.gdbus("introspect", "--dest", Daemon.NAME, "--object-path",
                "/org/gpupass1/nowhere"));
        assertError("UnknownMethod", daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Frobnicate"));
        assertError("UnknownMethod", gdbusCall(Daemon.NVIDIA, "org.gpupass1.Gpu.Status"));
        assertError("UnknownInterface", daemon.dbusSend(Daemon.MANAGER, "org.example.Nope.Status"));
        // gdbus types its arguments from the introspection data, so wrong ones go through dbus-send.
        assertError("InvalidArgs", daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Status", "string:x"));
        assertError("InvalidArgs", daemon.dbusSend(Daemon.NVIDIA, "org.gpupass1.Gpu.Claim", "int32:1"));
        // busctl prints only the message of an error; it must still be a refusal, not a Java name.
        Cmd busctl = daemon.busctl("call", Daemon.NAME, Daemon.NVIDIA, "org.gpupass1.Gpu", "Claim", "i", "1");
        assertFalse(busctl.ok() || busctl.err().contains("org.freedesktop.dbus."), busctl.toString());
        assertEquals("s \"\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"), "nothing was claimed");
    }

    private static Cmd gdbusCall(String path, String method, String... args) {
        List<String> c = new ArrayList<>(List.of("call", "--dest", Daemon.NAME, "--object-path", path, "--method",
                method));
        c.addAll(List.of(args));
        return daemon.gdbus(c.toArray(String[]::new));
    }

    /** dbus-send prints "Error NAME: message", gdbus "GDBus.Error:NAME: message". */
    private static void assertError(String name, Cmd reply) {
        assertFalse(reply.ok(), reply.toString());
        String full = "org.freedesktop.DBus.Error." + name + ": ";
        assertTrue(reply.err().startsWith("Error " + full) || reply.err().contains("GDBus.Error:" + full),
                name + ": " + reply);
    }
}
