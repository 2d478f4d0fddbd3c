package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gpupass.cli.Gpupassctl;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.libvirt.Hostdev;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * gpupassctl attach and detach against a real libvirtd (session mode, started here) and the real daemon on
 * the simulated dual-gpu host on a private bus: domains are defined through virsh and read back with virsh
 * dumpxml, as libvirt writes them. Skipped with a message where libvirtd cannot run; under CI=true that fails.
 */
@Timeout(300)
class LibvirtAttachIT {
    static final boolean REQUIRED = "true".equals(System.getenv("CI"));
    static final String NVIDIA = "0000:01:00.0";
    static final String AUDIO = "0000:01:00.1";

    static SessionLibvirt libvirt;
    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        String missing = SessionLibvirt.missing();
        if (!missing.isEmpty()) {
            String msg = "libvirt attach tests skipped: missing " + missing;
            System.out.println(msg);
            if (REQUIRED) {
                fail(msg + " (CI=true)");
            }
            Assumptions.abort(msg);
        }
        libvirt = SessionLibvirt.start();
        daemon = Daemon.start("");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (libvirt != null) {
            libvirt.close();
        }
    }

    record Run(int code, String out, String err) {
    }

    /** gpupassctl in this JVM, on the private bus and the test's libvirtd. */
    static Run ctl(String... args) {
        return ctlAt(libvirt.uri, args);
    }

    static Run ctlAt(String uri, String... args) {
        List<String> all = new ArrayList<>(List.of("--connect=" + uri));
        all.addAll(List.of(args));
        return bus(all.toArray(String[]::new));
    }

    /** gpupassctl on the private bus only (claim, release). */
    static Run bus(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--bus=" + daemon.address));
        all.addAll(List.of(args));
        int code = new Gpupassctl(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(all.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A q35 domain as virt-install would write it (TCG: no /dev/kvm for the session user), with these hostdevs. */
    static String domain(String name, String... hostdevs) {
        StringBuilder xml = new StringBuilder("""
                <domain type='qemu'>
                  <name>%s</name>
                  <memory unit='MiB'>256</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='q35'>hvm</type></os>
                  <features><acpi/><apic/></features>
                  <devices>
                    <controller type='usb' model='qemu-xhci'/>
                    <input type='tablet' bus='usb'/>
                """.formatted(name));
        for (String h : hostdevs) {
            xml.append(h).append('\n');
        }
        return xml.append("  </devices>\n</domain>\n").toString();
    }

    /** A PCI hostdev of bus 01 slot 00; {@code managed} "yes", "no" or null (no attribute); {@code extra} inside it. */
    static String hostdev(int function, String managed, String extra) {
        return "<hostdev mode='subsystem' type='pci'" + (managed == null ? "" : " managed='" + managed + "'") + ">"
                + "<source><address domain='0x0000' bus='0x01' slot='0x00' function='0x" + function + "'/></source>"
                + extra + "</hostdev>";
    }

    static List<String> hostdevs(String xml) throws Exception {
        return DomainXml.pciHostdevs(xml).stream().map(h -> h.address() + (h.managed() ? " yes" : " no")).toList();
    }

    @Test
    void attachAddsEveryFunctionOnceAsManagedNo() throws Exception {
        libvirt.define(domain("fresh"));
        Run first = ctl("attach", "fresh", "01:00.1");
        assertEquals(0, first.code(), first.toString());
        assertEquals("fresh: added " + NVIDIA + " with managed='no' (persistent config)\n"
                + "fresh: added " + AUDIO + " with managed='no' (persistent config)\n", first.out());
        String after = libvirt.config("fresh");
        assertEquals(List.of(NVIDIA + " no", AUDIO + " no"), hostdevs(after));
        Run again = ctl("attach", "fresh");
        assertEquals(0, again.code(), again.toString());
        assertEquals("fresh: already has every function of GPU " + NVIDIA + " (" + NVIDIA + ", " + AUDIO
                + ") with managed='no': nothing changed\n", again.out());
        assertEquals(after, libvirt.config("fresh"), "idempotent");
    }

    @Test
    void anExistingManagedYesTurnsManagedNoKeepingItsGuestAddressAndOptions() throws Exception {
        // The boot order: taking the hostdev out and adding it again is refused once libvirt has put an
        // <os><boot dev='hd'/> in its place. The VNC password: only dumpxml --security-info shows it.
        libvirt.define(domain("kinoite", hostdev(0, "yes", "<rom bar='off'/><boot order='1'/>"),
                "<graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='s3cret'/>"));
        String before = libvirt.config("kinoite");
        String guestAddress = before.substring(before.indexOf("<boot order='1'/>"));
        guestAddress = guestAddress.substring(guestAddress.indexOf("<address"), guestAddress.indexOf("/>",
                guestAddress.indexOf("<address")) + 2);
        Run run = ctl("attach", "kinoite", "--json");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("\"changes\":[{\"change\":\"managed-no\",\"address\":\"" + NVIDIA
                + "\",\"config\":true,\"live\":false},{\"change\":\"added\",\"address\":\"" + AUDIO + "\""), run.out());
        String after = libvirt.config("kinoite");
        assertEquals(List.of(NVIDIA + " no", AUDIO + " no"), hostdevs(after));
        String gpu = after.substring(after.indexOf("<hostdev"), after.indexOf("</hostdev>"));
        assertTrue(gpu.contains("<rom bar='off'/>") && gpu.contains("<boot order='1'/>") && gpu.contains(guestAddress),
                guestAddress + " in " + gpu);
        assertTrue(libvirt.virsh("dumpxml", "--inactive", "--security-info", "--domain", "kinoite").out()
                .contains("passwd='s3cret'"), "the VNC password is kept");
        assertEquals(0, ctl("attach", "kinoite").code());
        assertEquals(after, libvirt.config("kinoite"));
    }

    @Test
    void aDomainThatAlreadyHasThemIsUnchanged() throws Exception {
        libvirt.define(domain("ready", hostdev(0, "no", ""), hostdev(1, null, "")));
        String before = libvirt.config("ready");
        Run run = ctl("attach", "ready", NVIDIA);
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().endsWith("nothing changed\n"), run.out());
        assertEquals(before, libvirt.config("ready"));
    }

    @Test
    void detachRemovesEveryFunctionAndLeavesTheRest() throws Exception {
        String sata = "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x00' "
                + "slot='0x17' function='0x0'/></source></hostdev>";
        libvirt.define(domain("mixed", hostdev(0, "yes", ""), hostdev(1, "no", ""), sata));
        Run run = ctl("detach", "mixed");
        assertEquals(0, run.code(), run.toString());
        assertEquals("mixed: removed " + NVIDIA + " (persistent config)\nmixed: removed " + AUDIO + " (persistent config)\n",
                run.out());
        assertEquals(List.of("0000:00:17.0 no"), hostdevs(libvirt.config("mixed")));
        Run again = ctl("detach", "mixed", "01:00.0");
        assertEquals(0, again.code(), again.toString());
        assertEquals("mixed: has no hostdev of GPU " + NVIDIA + ": nothing changed\n", again.out());
    }

    @Test
    void doctorReadsTheFilesLibvirtWritesPointsAtAttachAndIsContentAfterwards() throws Exception {
        libvirt.define(domain("doc-yes", hostdev(0, "yes", ""), hostdev(1, "no", "")));
        libvirt.define(domain("doc-part", hostdev(0, "no", "")));
        Path root = Files.createTempDirectory("gpupass-doctor-");
        try {
            String[] before = domainsCheck(root, "doc-yes", "doc-part");
            assertEquals("fail", before[0], String.join(" | ", before));
            assertEquals("doc-yes: managed='yes' on " + NVIDIA + "; doc-part: passes " + NVIDIA + " but not " + AUDIO
                    + " of GPU " + NVIDIA, before[1]);
            assertTrue(before[2].contains("gpupassctl attach doc-part " + NVIDIA + "; gpupassctl attach doc-yes " + NVIDIA
                    + " ("), before[2]);
            assertEquals(0, ctl("attach", "doc-yes", NVIDIA).code());
            assertEquals(0, ctl("attach", "doc-part", NVIDIA).code());
            String[] after = domainsCheck(root, "doc-yes", "doc-part");
            assertEquals("ok", after[0], String.join(" | ", after));
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** doctor's libvirt-domains check (verdict, evidence, advice) over copies of these domains' libvirt files. */
    static String[] domainsCheck(Path root, String... domains) throws Exception {
        Path etc = Files.createDirectories(root.resolve("etc/libvirt/qemu"));
        for (String d : domains) {
            Files.copy(libvirt.domainFiles().resolve(d + ".xml"), etc.resolve(d + ".xml"), StandardCopyOption.REPLACE_EXISTING);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Gpupassctl(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()))
                .run("doctor", "--simulate", "--sysfs-root=" + root, "--json");
        String string = "\"((?:[^\"\\\\]|\\\\.)*)\"";
        Matcher m = Pattern.compile("\\{\"name\":\"libvirt-domains\",\"verdict\":" + string + ",\"evidence\":" + string
                + ",\"advice\":" + string + "\\}").matcher(out.toString(StandardCharsets.UTF_8));
        assertTrue(m.find(), out.toString(StandardCharsets.UTF_8));
        return new String[] {m.group(1), m.group(2), m.group(3).replace("\\\"", "\"")};
    }

    @Test
    void aDomainThatDoesNotExistIsRefused() {
        Run run = ctl("attach", "no-such-domain", NVIDIA);
        assertEquals(1, run.code(), run.toString());
        assertEquals("gpupassctl attach: libvirt at " + libvirt.uri + " has no domain 'no-such-domain' (virsh --connect "
                + libvirt.uri + " list --all lists them)\n", run.err());
        assertEquals("", run.out());
    }

    @Test
    void aGpuTheDaemonDoesNotManageOrCannotClaimIsRefusedAndNothingChanges() throws Exception {
        libvirt.define(domain("refused"));
        String before = libvirt.config("refused");
        Run sata = ctl("attach", "refused", "00:17.0");
        assertEquals(4, sata.code(), sata.toString());
        assertTrue(sata.err().contains("0000:00:17.0 is not a GPU or a function of a GPU that gpupassd manages"), sata.err());
        Run intel = ctl("attach", "refused", "00:02.0");
        assertEquals(18, intel.code(), intel.toString());
        assertTrue(intel.err().startsWith("gpupassctl attach: gpupassd cannot claim 0000:00:02.0 now: 0000:00:02.0 is "
                + "the firmware's boot display"), intel.err());
        assertEquals(before, libvirt.config("refused"));
    }

    @Test
    void aRunningDomainGetsTheGpuLiveOnlyWhenItIsClaimedForIt() throws Exception {
        libvirt.define(domain("running"));
        Cmd started = libvirt.virsh("start", "--paused", "--domain", "running");
        assertTrue(started.ok(), started + "\n" + libvirt.log());
        try {
            Run unclaimed = ctl("attach", "running");
            assertEquals(0, unclaimed.code(), unclaimed.toString());
            assertTrue(unclaimed.out().contains("running: added " + NVIDIA + " with managed='no' (persistent config)\n"),
                    unclaimed.out());
            assertTrue(unclaimed.out().contains("note: running is running and " + NVIDIA + " is not claimed for it"),
                    unclaimed.out());
            assertEquals(0, bus("claim", NVIDIA, "running").code());
            String config = libvirt.config("running");
            // Now attach hot-plugs: libvirt tries, and this machine has no 0000:01:00.0 to give the guest.
            Run live = ctl("attach", "running");
            assertEquals(1, live.code(), live.toString());
            assertTrue(live.err().startsWith("gpupassctl attach: adding " + NVIDIA + " (running domain): virsh "
                    + "attach-device: "), live.err());
            assertEquals(config, libvirt.config("running"));
        } finally {
            bus("release", NVIDIA);
            libvirt.virsh("destroy", "--domain", "running");
        }
    }

    @Test
    void libvirtAcceptsHostdevsOfAbsentDevicesAtDefineAndRefusesThemAtStart() throws Exception {
        String absent = "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x0a' "
                + "slot='0x00' function='0x0'/></source></hostdev>";
        libvirt.define(domain("absent", absent));
        assertEquals(List.of("0000:0a:00.0 no"), hostdevs(libvirt.config("absent")));
        Cmd start = libvirt.virsh("start", "--paused", "--domain", "absent");
        assertFalse(start.ok(), start.toString());
    }

    @Test
    void noConnectionToLibvirtIsSaidPlainly() {
        String nowhere = "qemu+unix:///session?socket=" + libvirt.dir.resolve("nothing-here");
        Run run = ctlAt(nowhere, "attach", "fresh");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("gpupassctl attach: cannot connect to libvirt at " + nowhere + " ("), run.err());
        assertTrue(run.err().contains("is libvirtd (or virtqemud) running?"), run.err());
    }

    @Test
    void withoutVirshTheMessageSaysWhatToInstall() {
        Cmd run = Cmd.run(List.of(Daemon.java(), "-cp", Daemon.JAR.toString(), "org.gpupass.cli.Gpupassctl",
                "--bus=" + daemon.address, "attach", "fresh", NVIDIA), Map.of("PATH", libvirt.dir.toString()), 60);
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.err().startsWith("gpupassctl attach: virsh is not installed (not on the PATH)"), run.err());
        assertTrue(run.err().contains("libvirt-clients"), run.err());
    }
}
