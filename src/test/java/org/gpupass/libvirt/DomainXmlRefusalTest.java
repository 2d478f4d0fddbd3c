package org.gpupass.libvirt;

import static org.gpupass.libvirt.DomainXmlFixtures.domainWith;
import static org.gpupass.libvirt.DomainXmlFixtures.pci;
import static org.gpupass.libvirt.DomainXmlFixtures.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Domain XML that is refused, as InvalidArgument: too large, hostile (DTDs, entities, XInclude) or malformed. */
class DomainXmlRefusalTest {

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
}
