package org.gpupass.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DomainXmlTest {

    /** What `virsh dumpxml win11` gives for a Windows 11 guest with a GPU and its audio passed through. */
    static final String WIN11 = """
            <domain type='kvm' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
              <name>win11</name>
              <uuid>6f1c9c1e-8a3b-4c1e-9d9e-2b7f0f4c1a11</uuid>
              <metadata>
                <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                  <libosinfo:os id="http://microsoft.com/win/11"/>
                </libosinfo:libosinfo>
              </metadata>
              <memory unit='KiB'>16777216</memory>
              <currentMemory unit='KiB'>16777216</currentMemory>
              <vcpu placement='static'>8</vcpu>
              <os firmware='efi'>
                <type arch='x86_64' machine='pc-q35-8.1'>hvm</type>
                <loader readonly='yes' secure='yes' type='pflash'>/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd</loader>
                <nvram template='/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd'>/var/lib/libvirt/qemu/nvram/win11_VARS.fd</nvram>
                <boot dev='hd'/>
              </os>
              <features>
                <acpi/>
                <apic/>
                <hyperv mode='custom'>
                  <relaxed state='on'/>
                  <vapic state='on'/>
                  <spinlocks state='on' retries='8191'/>
                  <vendor_id state='on' value='0123456789ab'/>
                </hyperv>
                <kvm>
                  <hidden state='on'/>
                </kvm>
                <smm state='on'/>
              </features>
              <cpu mode='host-passthrough' check='none' migratable='on'>
                <topology sockets='1' dies='1' cores='4' threads='2'/>
              </cpu>
              <clock offset='localtime'>
                <timer name='hypervclock' present='yes'/>
              </clock>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' discard='unmap'/>
                  <source file='/var/lib/libvirt/images/win11.qcow2' index='1'/>
                  <backingStore/>
                  <target dev='sda' bus='sata'/>
                  <alias name='sata0-0-0'/>
                  <address type='drive' controller='0' bus='0' target='0' unit='0'/>
                </disk>
                <controller type='pci' index='1' model='pcie-root-port'>
                  <model name='pcie-root-port'/>
                  <target chassis='1' port='0x10'/>
                  <alias name='pci.1'/>
                  <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' multifunction='on'/>
                </controller>
                <interface type='network'>
                  <mac address='52:54:00:12:34:56'/>
                  <source network='default' portid='0c2a8ad4-50a5-4a6b-8c8f-2f3b3c8f0a01' bridge='virbr0'/>
                  <target dev='vnet2'/>
                  <model type='virtio'/>
                  <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
                </interface>
                <tpm model='tpm-crb'>
                  <backend type='emulator' version='2.0'/>
                </tpm>
                <hostdev mode='subsystem' type='usb' managed='yes'>
                  <source>
                    <vendor id='0x046d'/>
                    <product id='0xc52b'/>
                    <address bus='1' device='4'/>
                  </source>
                  <alias name='hostdev2'/>
                  <address type='usb' bus='0' port='1'/>
                </hostdev>
                <hostdev mode='subsystem' type='pci' managed='no'>
                  <driver name='vfio'/>
                  <source>
                    <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
                  </source>
                  <alias name='hostdev0'/>
                  <rom bar='on'/>
                  <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0' multifunction='on'/>
                </hostdev>
                <hostdev mode='subsystem' type='pci' managed='no'>
                  <driver name='vfio'/>
                  <source>
                    <address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>
                  </source>
                  <alias name='hostdev1'/>
                  <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x1'/>
                </hostdev>
                <memballoon model='none'/>
              </devices>
              <seclabel type='dynamic' model='selinux' relabel='yes'>
                <label>system_u:system_r:svirt_t:s0:c100,c200</label>
              </seclabel>
              <qemu:commandline>
                <qemu:arg value='-global'/>
              </qemu:commandline>
            </domain>
            """;

    private static final PciAddress GPU = new PciAddress(0, 1, 0, 0);
    private static final PciAddress AUDIO = new PciAddress(0, 1, 0, 1);

    private static String domainWith(String devices) {
        return "<domain type='kvm'><name>vm</name><devices>" + devices + "</devices></domain>";
    }

    private static String pci(String attributes, String address) {
        return "<hostdev mode='subsystem' type='pci'" + attributes + "><source><address " + address
                + "/></source></hostdev>";
    }

    private static GpuPassException refused(String xml) {
        GpuPassException e = assertThrows(GpuPassException.class, () -> DomainXml.pciHostdevs(xml));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        return e;
    }

    // ------------------------------------------------------------ what is found

    @Test
    void realisticWindows11DomainGivesGpuAndAudio() throws Exception {
        assertEquals(List.of(new Hostdev(GPU, false), new Hostdev(AUDIO, false)), DomainXml.pciHostdevs(WIN11));
    }

    @Test
    void managedYesIsReported() throws Exception {
        assertEquals(List.of(new Hostdev(GPU, true), new Hostdev(AUDIO, true)),
                DomainXml.pciHostdevs(WIN11.replace("managed='no'", "managed='yes'")));
    }

    @Test
    void absentManagedMeansNoAsInLibvirt() throws Exception {
        assertEquals(List.of(new Hostdev(GPU, false)),
                DomainXml.pciHostdevs(domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x00' function='0x0'"))));
    }

    @Test
    void noHostdevGivesEmptyList() throws Exception {
        assertEquals(List.of(), DomainXml.pciHostdevs(domainWith("<disk type='file' device='disk'/>")));
        assertEquals(List.of(), DomainXml.pciHostdevs("<domain type='kvm'><name>vm</name></domain>"));
        assertEquals(List.of(), DomainXml.pciHostdevs("<?xml version='1.0' encoding='UTF-8'?>\n<domain/>"));
    }

    @Test
    void otherHostdevKindsAreSkipped() throws Exception {
        String xml = domainWith("""
                <hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/></source></hostdev>
                <hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>
                <hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev>
                <interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></source></interface>
                """);
        assertEquals(List.of(), DomainXml.pciHostdevs(xml));
    }

    @Test
    void hostdevsOutsideDevicesAreIgnored() throws Exception {
        String xml = "<domain><metadata><hostdev mode='subsystem' type='pci' managed='yes'><source>"
                + "<address domain='0' bus='1' slot='0' function='0'/></source></hostdev></metadata>"
                + "<devices><disk/></devices></domain>";
        assertEquals(List.of(), DomainXml.pciHostdevs(xml));
    }

    @Test
    void missingModeIsSubsystemAsInLibvirt() throws Exception {
        assertEquals(List.of(new Hostdev(GPU, true)), DomainXml.pciHostdevs(domainWith(
                "<hostdev type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>")));
    }

    @Test
    void numbersAreReadAsLibvirtReadsThem() throws Exception {
        // hex, decimal, octal (leading 0), upper-case hex digits and prefix, absent domain = 0
        List<Hostdev> h = DomainXml.pciHostdevs(domainWith(
                pci(" managed='no'", "domain='0x0001' bus='0X1F' slot='31' function='7'")
                        + pci("", "domain='0' bus='010' slot='0x0a' function='0'")
                        + pci("", "bus='0xab' slot='0x00' function='0x3'")));
        assertEquals(List.of(new Hostdev(new PciAddress(1, 0x1f, 31, 7), false),
                new Hostdev(new PciAddress(0, 8, 10, 0), false),
                new Hostdev(new PciAddress(0, 0xab, 0, 3), false)), h);
    }

    @Test
    void maximumValuesAreAccepted() throws Exception {
        assertEquals(List.of(new Hostdev(new PciAddress(0xffff, 0xff, 0x1f, 7), false)), DomainXml.pciHostdevs(
                domainWith(pci("", "domain='0xffff' bus='0xff' slot='0x1f' function='0x7'"))));
    }

    @Test
    void exactlyOneMebibyteIsAcceptedOneByteMoreIsNot() throws Exception {
        String head = "<domain><!--";
        String tail = "--></domain>";
        String filler = "x".repeat(DomainXml.MAX_BYTES - head.length() - tail.length());
        assertEquals(List.of(), DomainXml.pciHostdevs(head + filler + tail));
        GpuPassException e = refused(head + filler + "x" + tail);
        assertTrue(e.getMessage().contains("larger than 1 MiB"), e.getMessage());
    }

    @Test
    void sizeLimitCountsUtf8BytesNotChars() {
        // 400k chars of 3-byte UTF-8 is 1.2 MB although under 1M chars
        GpuPassException e = refused("<domain><name>" + "\u20ac".repeat(400_000) + "</name></domain>");
        assertTrue(e.getMessage().contains("larger than 1 MiB"), e.getMessage());
    }

    @Test
    void parsingIsThreadSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Hostdev>>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                results.add(pool.submit(() -> DomainXml.pciHostdevs(WIN11)));
            }
            for (Future<List<Hostdev>> f : results) {
                assertEquals(List.of(new Hostdev(GPU, false), new Hostdev(AUDIO, false)), f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------ refused

    private static final String PASSWD_MARKER = "root:x:0:0";

    static List<String> hostileDocuments() {
        String gpu = "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>";
        return List.of(
                // DTDs and entities
                "<!DOCTYPE domain><domain/>",
                "<!DOCTYPE domain [<!ELEMENT domain ANY>]><domain/>",
                "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><domain><name>&xxe;</name></domain>",
                "<!DOCTYPE domain [<!ENTITY % p SYSTEM 'file:///etc/passwd'> %p;]><domain/>",
                "<!DOCTYPE domain [<!ENTITY % d SYSTEM 'http://127.0.0.1:9/evil.dtd'> %d;]><domain/>",
                "<!DOCTYPE domain SYSTEM 'file:///etc/passwd'><domain/>",
                "<!DOCTYPE domain PUBLIC '-//x//y' 'http://127.0.0.1:9/x.dtd'><domain/>",
                "<domain><name>&xxe;</name></domain>",
                // XInclude
                "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><devices><xi:include href='file:///etc/passwd' parse='text'/></devices></domain>",
                "<domain><metadata><include xmlns='http://www.w3.org/2001/XInclude' href='/etc/passwd'/></metadata></domain>",
                // not XML, not a domain
                "",
                "   \n\t ",
                "not xml at all",
                "<domain>",
                "<domain></domian>",
                "<domain/><domain/>",
                "<domain a='1' a='2'/>",
                "\u0000<domain/>",
                "<network><name>default</name></network>",
                "<x:domain xmlns:x='urn:x'/>",
                "<Domain/>",
                "<?xml version='1.0'?>",
                // bad PCI hostdevs
                domainWith("<hostdev mode='subsystem' type='pci'/>"),
                domainWith("<hostdev mode='subsystem' type='pci'><source/></hostdev>"),
                domainWith(pci("", "domain='0x0000' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='0x01' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x00'")),
                domainWith(pci("", "domain='0x0000' bus='0x100' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x10000' bus='0x01' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x20' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x00' function='8'")),
                domainWith(pci("", "domain='0x0000' bus='-1' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='0x' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus=' 1' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='08' slot='0x00' function='0x0'")),
                domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x00' function='0x0g'")),
                domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x00' function=''")),
                domainWith(pci("", "domain='0x0000' bus='99999999999999999999' slot='0x00' function='0'")),
                domainWith(pci("", "domain='0x0000' bus='\u0661' slot='0x00' function='0'")),
                domainWith(pci("", "type='usb' bus='1' slot='0' function='0'")),
                domainWith(pci(" managed='true'", "domain='0' bus='1' slot='0' function='0'")),
                domainWith("<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/>"
                        + "<address domain='0' bus='2' slot='0' function='0'/></source></hostdev>"),
                domainWith(gpu + "<hostdev mode='subsystem' type='pci'><source><vendor id='0x10de'/></source></hostdev>"));
    }

    @ParameterizedTest
    @MethodSource("hostileDocuments")
    void hostileOrMalformedDocumentsAreInvalidArgument(String xml) {
        GpuPassException e = refused(xml);
        assertFalse(e.getMessage().contains(PASSWD_MARKER), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void nullIsInvalidArgument() {
        refused(null);
    }

    @Test
    void doctypeIsRefusedWithAClearMessage() {
        GpuPassException e = refused("<!DOCTYPE domain [<!ENTITY x 'y'>]><domain/>");
        assertEquals("domain XML must not have a DOCTYPE (no DTDs or entity declarations)", e.getMessage());
    }

    @Test
    void outOfRangeMessageNamesTheAttribute() {
        GpuPassException e = refused(domainWith(pci("", "domain='0x0000' bus='0x100' slot='0x00' function='0x0'")));
        assertEquals("domain XML: <hostdev> #1 (type='pci'): bus='0x100' is out of range (at most 0xff)", e.getMessage());
        e = refused(domainWith(pci("", "domain='0x0000' bus='0x01' slot='0x00'")));
        assertEquals("domain XML: <hostdev> #1 (type='pci'): <source><address> has no function attribute", e.getMessage());
    }

    @Test
    void wrongRootIsNamed() {
        assertEquals("domain XML: the root element is <network>, expected <domain>",
                refused("<network/>").getMessage());
    }

    @Test
    void aNamespacedRootSaysTheNamespace() {
        // It said "the root element is <domain>, expected <domain>".
        assertEquals("domain XML: the root element is <domain> in namespace 'http://libvirt.org/schemas/domain/qemu/1.0',"
                        + " expected <domain> in no namespace (libvirt writes it without one)",
                refused("<domain xmlns='http://libvirt.org/schemas/domain/qemu/1.0'><devices/></domain>").getMessage());
        assertEquals("domain XML: the root element is <q:domain> in namespace 'urn:x', expected <domain> in no"
                + " namespace (libvirt writes it without one)", refused("<q:domain xmlns:q='urn:x'/>").getMessage());
        assertEquals("domain XML: the root element is <q:network> in namespace 'urn:x', expected <domain> in no"
                + " namespace (libvirt writes it without one)", refused("<q:network xmlns:q='urn:x'/>").getMessage());
    }

    @Test
    void billionLaughsIsRefusedFast() {
        StringBuilder dtd = new StringBuilder("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY lol0 'lol'>");
        for (int i = 1; i <= 9; i++) {
            dtd.append("<!ENTITY lol").append(i).append(" '")
                    .append(("&lol" + (i - 1) + ";").repeat(10)).append("'>");
        }
        String xml = dtd.append("]><domain><name>&lol9;</name></domain>").toString();
        GpuPassException e = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> refused(xml));
        assertFalse(e.getMessage().contains("lollol"), e.getMessage());
    }

    @Test
    void xxePayloadNeverReachesResultOrMessage(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET-4f2a");
        String uri = secret.toUri().toString();
        Map<String, String> attacks = Map.of(
                "general", "<!DOCTYPE domain [<!ENTITY x SYSTEM '" + uri + "'>]><domain><name>&x;</name></domain>",
                "attribute", "<!DOCTYPE domain [<!ENTITY x SYSTEM '" + uri + "'>]>" + domainWith(pci("",
                        "domain='&x;' bus='1' slot='0' function='0'")),
                "parameter", "<!DOCTYPE domain [<!ENTITY % x SYSTEM '" + uri + "'> %x;]><domain/>",
                "dtd", "<!DOCTYPE domain SYSTEM '" + uri + "'><domain/>",
                "xinclude", "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><name><xi:include href='" + uri
                        + "' parse='text'/></name>" + "</domain>");
        for (Map.Entry<String, String> attack : attacks.entrySet()) {
            GpuPassException e = assertThrows(GpuPassException.class, () -> DomainXml.pciHostdevs(attack.getValue()),
                    attack.getKey());
            assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), attack.getKey());
            assertFalse(e.getMessage().contains("TOP-SECRET"), attack.getKey() + ": " + e.getMessage());
            assertFalse(String.valueOf(e.getCause()).contains("TOP-SECRET"), attack.getKey());
        }
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "<domain><metadata>" + "<a>".repeat(100_000) + "</a>".repeat(100_000) + "</metadata></domain>";
        assertTrue(refused(deep).getMessage().startsWith("domain XML exceeds a parser limit"));
    }

    @Test
    void errorsCountEveryHostdevSoTheOperatorFindsTheRightOne() {
        GpuPassException e = refused(domainWith("<hostdev mode='subsystem' type='usb'><source><vendor id='1'/></source></hostdev>"
                + pci("", "domain='0' bus='1' slot='0' function='9'")));
        assertEquals("domain XML: <hostdev> #2 (type='pci'): function='9' is out of range (at most 0x7)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no"})
    void managedValuesRoundTrip(String managed) throws Exception {
        List<Hostdev> h = DomainXml.pciHostdevs(domainWith(pci(" managed='" + managed + "'",
                "domain='0x0000' bus='0x01' slot='0x00' function='0x1'")));
        assertEquals(List.of(new Hostdev(AUDIO, managed.equals("yes"))), h);
    }

    /** Callers parse their 1 MiB documents one after the other, not all at once (the heap holds few DOMs). */
    @Test
    void documentsAreParsedOneAtATime() throws Exception {
        StringBuilder b = new StringBuilder("<domain><devices>");
        while (b.length() < DomainXml.MAX_BYTES - 100) {
            b.append("<a/>");
        }
        String xml = b.append("</devices></domain>").toString();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        java.util.List<java.util.concurrent.Future<?>> parses = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            parses.add(pool.submit(() -> DomainXml.pciHostdevs(xml)));
        }
        for (java.util.concurrent.Future<?> f : parses) {
            assertEquals(java.util.List.of(), f.get());
        }
        pool.shutdown();
        assertEquals(1, DomainXml.mostAtOnce());
    }
}
