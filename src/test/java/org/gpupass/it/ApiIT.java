package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every method and property of the spec through busctl, gdbus and dbus-send, against the real daemon. */
@Timeout(120)
class ApiIT {
    private static final Map<String, String> GPU_TYPES = Map.ofEntries(Map.entry("Address", "s"),
            Map.entry("Name", "s"), Map.entry("VendorId", "q"), Map.entry("DeviceId", "q"), Map.entry("State", "s"),
            Map.entry("Driver", "s"), Map.entry("HostDriver", "s"), Map.entry("Functions", "as"),
            Map.entry("IommuGroup", "i"), Map.entry("BootVga", "b"), Map.entry("Claimable", "b"),
            Map.entry("Blockers", "as"), Map.entry("Holder", "s"), Map.entry("Since", "t"),
            Map.entry("LastError", "s"));
    private static final String XML = """
            <domain type='kvm'><name>win11</name><devices>
              <disk type='file' device='disk'><source file='/var/lib/libvirt/images/win11.qcow2'/></disk>
              %s
            </devices></domain>""";
    private static final String GPU_HOSTDEV = """
            <hostdev mode='subsystem' type='pci' managed='no'>
              <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
            <hostdev mode='subsystem' type='pci' managed='no'>
              <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source></hostdev>""";

    private Daemon daemon;

    @BeforeEach
    void start() throws Exception {
        daemon = Daemon.start("");
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void every_gpu_property_reads_as_a_variant_of_its_type_with_busctl_gdbus_and_dbus_send() {
        for (String path : new String[] {Daemon.NVIDIA, Daemon.INTEL}) {
            for (Map.Entry<String, String> p : GPU_TYPES.entrySet()) {
                Cmd busctl = daemon.busctl("get-property", Daemon.NAME, path, "org.gpupass1.Gpu", p.getKey());
                assertTrue(busctl.ok() && busctl.out().startsWith(p.getValue() + " "), p + ": " + busctl);
                Cmd gdbus = daemon.gdbus("call", "--dest", Daemon.NAME, "--object-path", path, "--method",
                        "org.freedesktop.DBus.Properties.Get", "org.gpupass1.Gpu", p.getKey());
                assertTrue(gdbus.ok() && gdbus.out().startsWith("(<"), p + ": " + gdbus);
                Cmd send = daemon.dbusSend(path, "org.freedesktop.DBus.Properties.Get", "string:org.gpupass1.Gpu",
                        "string:" + p.getKey());
                assertTrue(send.ok() && send.out().contains("variant"), p + ": " + send);
            }
        }
        assertEquals("q 4318", daemon.gpuProperty(Daemon.NVIDIA, "VendorId"));
        assertEquals("q 9989", daemon.gpuProperty(Daemon.NVIDIA, "DeviceId"));
        assertEquals("t", daemon.gpuProperty(Daemon.NVIDIA, "Since").substring(0, 1));
        assertEquals("as 2 \"0000:01:00.0\" \"0000:01:00.1\"", daemon.gpuProperty(Daemon.NVIDIA, "Functions"));
        assertEquals("i 1", daemon.gpuProperty(Daemon.NVIDIA, "IommuGroup"));
        assertEquals("b true", daemon.gpuProperty(Daemon.INTEL, "BootVga"));
        assertEquals("s \"NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]\"", daemon.gpuProperty(Daemon.NVIDIA, "Name"));
    }

    @Test
    void manager_properties_getall_introspection_peer_and_tree() {
        assertEquals("s \"0.1.0\"", daemon.busctl("get-property", Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager",
                "Version").out());
        assertEquals("ao 2 \"" + Daemon.INTEL + "\" \"" + Daemon.NVIDIA + "\"", daemon.busctl("get-property", Daemon.NAME,
                Daemon.MANAGER, "org.gpupass1.Manager", "Gpus").out());
        assertEquals("s \"\"", daemon.busctl("get-property", Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager",
                "Transition").out());
        Cmd all = daemon.gdbus("call", "--dest", Daemon.NAME, "--object-path", Daemon.NVIDIA, "--method",
                "org.freedesktop.DBus.Properties.GetAll", "org.gpupass1.Gpu");
        for (String name : GPU_TYPES.keySet()) {
            assertTrue(all.out().contains("'" + name + "': <"), name + ": " + all);
        }
        Cmd introspect = daemon.busctl("introspect", Daemon.NAME, Daemon.NVIDIA);
        for (Map.Entry<String, String> p : GPU_TYPES.entrySet()) {
            assertTrue(Pattern.compile("\\." + p.getKey() + "\\s+property\\s+" + Pattern.quote(p.getValue()) + "\\s")
                    .matcher(introspect.out()).find(), p + ": " + introspect);
        }
        Cmd manager = daemon.gdbus("introspect", "--dest", Daemon.NAME, "--object-path", Daemon.MANAGER);
        assertTrue(manager.out().contains("Claim(in  s arg_0,") && manager.out().contains("StateChanged(")
                && manager.out().contains("readonly ao Gpus"), manager.toString());
        assertTrue(daemon.busctl("call", Daemon.NAME, Daemon.NVIDIA, "org.freedesktop.DBus.Peer", "Ping").ok());
        String tree = daemon.busctl("tree", Daemon.NAME).out();
        assertTrue(tree.contains(Daemon.NVIDIA) && tree.contains(Daemon.INTEL), tree);
    }

    @Test
    void status_with_busctl_json_short() {
        String json = daemon.status();
        assertTrue(json.startsWith("{\"type\":\"aa{sv}\",\"data\":[[{\"Address\":{\"type\":\"s\",\"data\":\"0000:00:02.0\"}"),
                json);
        assertTrue(json.contains("\"VendorId\":{\"type\":\"q\",\"data\":4318}"), json);
        assertTrue(json.contains("\"Since\":{\"type\":\"t\",\"data\":"), json);
        assertTrue(json.contains("\"Functions\":{\"type\":\"as\",\"data\":[\"0000:01:00.0\",\"0000:01:00.1\"]}"), json);
        for (String name : GPU_TYPES.keySet()) {
            assertEquals(2, json.split("\"" + name + "\":").length - 1, name);
        }
    }

    /**
     * Status is answered from a body marshalled beforehand (FastReplies), GetAll by dbus-java: each
     * GPU's dict in Status must be the GetAll of its object, before and after a change, whether the
     * call names the well-known or the unique name; a call with a bad signature still gets dbus-java's error.
     */
    @Test
    void status_is_the_getall_of_every_gpu_after_each_change_by_either_name() {
        String unique = daemon.busctl("status", Daemon.NAME).out().lines()
                .filter(l -> l.startsWith("UniqueName=")).findFirst().orElseThrow().substring("UniqueName=".length());
        for (String step : new String[] {"start", "claim", "release"}) {
            if (step.equals("claim")) {
                assertTrue(daemon.call("Claim", "ss", "", "win11").ok());
            } else if (step.equals("release")) {
                assertTrue(daemon.call("Release", "ss", "", "win11").ok());
            }
            for (String destination : new String[] {Daemon.NAME, unique}) {
                String status = daemon.busctl("call", destination, Daemon.MANAGER, "org.gpupass1.Manager", "Status",
                        "--json=short").out();
                for (String path : new String[] {Daemon.INTEL, Daemon.NVIDIA}) {
                    String all = daemon.busctl("call", destination, path, "org.freedesktop.DBus.Properties", "GetAll",
                            "s", "org.gpupass1.Gpu", "--json=short").out();
                    String dict = all.substring("{\"type\":\"a{sv}\",\"data\":[".length(), all.length() - 2);
                    assertTrue(dict.startsWith("{\"Address\"") && status.contains(dict), step + " " + destination
                            + "\nGetAll: " + all + "\nStatus: " + status);
                }
                assertEquals(step.equals("claim") ? 1 : 0, status.split("\"win11\"").length - 1, status);
            }
        }
        Cmd withArgument = daemon.busctl("call", Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager", "Status", "s", "x");
        assertTrue(!withArgument.ok() && withArgument.err().contains("takes arguments ()"), withArgument.toString());
    }

    @Test
    void claim_and_release_by_manager_and_by_gpu_object() {
        Cmd claim = daemon.call("Claim", "ss", "", "demo-vm");
        assertEquals("o \"" + Daemon.NVIDIA + "\"", claim.out(), claim.toString());
        assertEquals("s \"vfio\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
        assertEquals("s \"vfio-pci\"", daemon.gpuProperty(Daemon.NVIDIA, "Driver"));
        assertEquals("s \"demo-vm\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
        assertEquals("s \"nvidia\"", daemon.gpuProperty(Daemon.NVIDIA, "HostDriver"));
        assertTrue(daemon.call("Release", "ss", "0000:01:00.1", "demo-vm").ok());
        assertEquals("s \"host\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
        assertEquals("s \"nvidia\"", daemon.gpuProperty(Daemon.NVIDIA, "Driver"));

        assertTrue(daemon.busctl("call", Daemon.NAME, Daemon.NVIDIA, "org.gpupass1.Gpu", "Claim", "s", "win11").ok());
        assertEquals("s \"win11\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
        Cmd wrong = daemon.gdbus("call", "--dest", Daemon.NAME, "--object-path", Daemon.NVIDIA, "--method",
                "org.gpupass1.Gpu.Release", "other");
        assertTrue(wrong.err().contains("org.gpupass1.Error.NotHolder"), wrong.toString());
        assertTrue(daemon.busctl("call", Daemon.NAME, Daemon.NVIDIA, "org.gpupass1.Gpu", "Release", "s", "win11").ok());
        assertEquals("s \"\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
        assertEquals("s \"\"", daemon.gpuProperty(Daemon.NVIDIA, "LastError"));
    }

    @Test
    void idempotence_rules() {
        assertTrue(daemon.call("Claim", "ss", "01:00.0", "win11").ok());
        String since = daemon.gpuProperty(Daemon.NVIDIA, "Since");
        assertTrue(daemon.call("Claim", "ss", "01:00.0", "win11").ok(), "same holder again");
        assertEquals(since, daemon.gpuProperty(Daemon.NVIDIA, "Since"), "no transition");
        Cmd other = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0", "string:linux");
        assertTrue(other.err().startsWith("Error org.gpupass1.Error.AlreadyClaimed:") && other.err().contains("win11"),
                other.toString());
        Cmd notHolder = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Release", "string:01:00.0",
                "string:linux");
        assertTrue(notHolder.err().startsWith("Error org.gpupass1.Error.NotHolder:"), notHolder.toString());
        assertTrue(daemon.call("Release", "ss", "01:00.0", "").ok(), "holder \"\" forces");
        assertEquals("s \"host\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
        String released = daemon.gpuProperty(Daemon.NVIDIA, "Since");
        assertTrue(daemon.call("Release", "ss", "01:00.0", "win11").ok(), "release twice");
        assertTrue(daemon.call("Release", "ss", "01:00.0", "").ok(), "and forced, twice");
        assertEquals(released, daemon.gpuProperty(Daemon.NVIDIA, "Since"), "no transition");
    }

    @Test
    void claim_domain_and_release_domain() {
        String noGpu = XML.formatted("<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/>"
                + "<product id='0xc52b'/></source></hostdev>");
        String before = daemon.status();
        assertEquals("ao 0", daemon.call("ClaimDomain", "ss", "office", noGpu).out());
        assertEquals(before, daemon.status(), "a domain without a GPU changes nothing");

        Cmd managedYes = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.ClaimDomain", "string:win11",
                "string:" + XML.formatted(GPU_HOSTDEV.replace("managed='no'", "managed='yes'")));
        assertTrue(managedYes.err().startsWith("Error org.gpupass1.Error.ManagedHostdev:"), managedYes.toString());
        assertEquals(before, daemon.status());

        Cmd claimed = daemon.call("ClaimDomain", "ss", "win11", XML.formatted(GPU_HOSTDEV));
        assertEquals("ao 1 \"" + Daemon.NVIDIA + "\"", claimed.out(), claimed.toString());
        assertEquals("s \"win11\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
        assertEquals("ao 1 \"" + Daemon.NVIDIA + "\"", daemon.call("ClaimDomain", "ss", "win11",
                XML.formatted(GPU_HOSTDEV)).out(), "again: idempotent");
        assertEquals("ao 0", daemon.call("ReleaseDomain", "s", "office").out());
        assertEquals("ao 1 \"" + Daemon.NVIDIA + "\"", daemon.call("ReleaseDomain", "s", "win11").out());
        assertEquals("ao 0", daemon.call("ReleaseDomain", "s", "win11").out());
        assertEquals("s \"host\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
    }

    @Test
    void a_gpu_already_on_vfio_pci_without_a_holder_is_adopted() throws Exception {
        daemon.close();
        String host = new String(getClass().getResourceAsStream("/org/gpupass/host/sim/dual-gpu.host").readAllBytes())
                .replace("driver=nvidia", "driver=vfio-pci").replace("10de:22bb class=0x040300 name=\"NVIDIA AD103 High "
                        + "Definition Audio Controller\" driver=snd_hda_intel", "10de:22bb class=0x040300 name=\"NVIDIA "
                        + "AD103 High Definition Audio Controller\" driver=vfio-pci");
        Path file = Files.createTempFile("vfio-already", ".host");
        Files.writeString(file, host);
        try {
            daemon = Daemon.start(file.toString());
            assertEquals("s \"vfio\"", daemon.gpuProperty(Daemon.NVIDIA, "State"), daemon.log());
            String since = daemon.gpuProperty(Daemon.NVIDIA, "Since");
            assertTrue(daemon.call("Claim", "ss", "01:00.0", "win11").ok());
            assertEquals("s \"win11\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
            assertEquals(since, daemon.gpuProperty(Daemon.NVIDIA, "Since"), "adopted without a transition");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void properties_are_read_only() {
        Cmd set = daemon.dbusSend(Daemon.NVIDIA, "org.freedesktop.DBus.Properties.Set", "string:org.gpupass1.Gpu",
                "string:Holder", "variant:string:me");
        assertFalse(set.ok());
        assertTrue(set.err().startsWith("Error org.freedesktop.DBus.Error.PropertyReadOnly"), set.toString());
        Cmd unknown = daemon.dbusSend(Daemon.NVIDIA, "org.freedesktop.DBus.Properties.Get", "string:org.gpupass1.Gpu",
                "string:Temperature");
        assertTrue(unknown.err().startsWith("Error org.freedesktop.DBus.Error.UnknownProperty"), unknown.toString());
    }
}
