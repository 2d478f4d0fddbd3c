package org.gpupass.cli.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.gpupass.libvirt.Hostdev;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.libvirt.Hostdev;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.InputSource;

class DomainDefinitionTest {
    static final PciAddress GPU = new PciAddress(0, 1, 0, 0);
    static final PciAddress SATA = new PciAddress(0, 0, 0x17, 0);

    /** {@code virsh dumpxml win11} of a q35 domain libvirt 9.0 defined (a PCI, a USB and another PCI hostdev). */
    static String win11() throws Exception {
        try (InputStream in = DomainDefinitionTest.class.getResourceAsStream("/libvirt/win11-dumpxml.xml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readsNameStateAndThePciHostdevsOfVirshDumpxml() throws Exception {
        DomainDefinition d = DomainDefinition.parse(win11());
        assertEquals("win11", d.name());
        assertFalse(d.running());
        assertEquals(List.of(GPU, SATA), List.copyOf(d.hostdevs().keySet()), "the USB hostdev is not a PCI one");
        assertTrue(d.hostdevs().get(GPU).managed());
        assertFalse(d.hostdevs().get(SATA).managed());
    }

    @Test
    void unmanagingChangesOnlyTheManagedAttributeOfThoseHostdevs() throws Exception {
        String xml = win11();
        String changed = DomainDefinition.parse(xml).unmanaging(List.of(GPU));
        assertFalse(DomainDefinition.parse(changed).hostdevs().get(GPU).managed());
        // Node by node the same document as the original with that one attribute set by hand.
        Document expected = dom(xml);
        Element gpu = (Element) expected.getElementsByTagName("hostdev").item(0);
        assertEquals("yes", gpu.getAttribute("managed"));
        gpu.setAttribute("managed", "no");
        assertTrue(expected.isEqualNode(dom(changed)), changed);
        Element usb = (Element) dom(changed).getElementsByTagName("hostdev").item(1);
        assertEquals("usb/yes", usb.getAttribute("type") + "/" + usb.getAttribute("managed"));
    }

    private static Document dom(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }

    @Test
    void agreesWithTheDaemonsReadingOfTheSameXml() throws Exception {
        String xml = win11();
        List<Hostdev> daemon = DomainXml.pciHostdevs(xml);
        DomainDefinition d = DomainDefinition.parse(xml);
        assertEquals(daemon.stream().map(Hostdev::address).toList(), List.copyOf(d.hostdevs().keySet()));
        assertEquals(daemon.stream().map(Hostdev::managed).toList(),
                d.hostdevs().values().stream().map(Hostdev::managed).toList());
    }

    @Test
    void anActiveDomainHasAnId() throws Exception {
        DomainDefinition d = DomainDefinition.parse(win11().replace("<domain type='qemu'>", "<domain type='qemu' id='4'>"));
        assertTrue(d.running());
    }

    @Test
    void aHostdevWithoutModeIsASubsystemOneAndOtherModesAreSkipped() throws Exception {
        DomainDefinition d = DomainDefinition.parse("""
                <domain><name>x</name><devices>
                  <hostdev type='pci'><source><address domain='0' bus='1' slot='0' function='1'/></source></hostdev>
                  <hostdev mode='capabilities' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>
                </devices></domain>""");
        assertEquals(List.of(new PciAddress(0, 1, 0, 1)), List.copyOf(d.hostdevs().keySet()));
    }

    @Test
    void refusesWhatLibvirtNeverPrints() {
        for (String bad : List.of("<!DOCTYPE domain [<!ENTITY x 'y'>]><domain><name>&x;</name></domain>",
                "<network><name>default</name></network>", "<domain><devices/></domain>", "<domain><name>x",
                "<domain><name>x</name><devices><hostdev type='pci'><source/></hostdev></devices></domain>",
                "<domain><name>x</name><devices><hostdev type='pci'><source><address domain='0' bus='0x100' slot='0' "
                        + "function='0'/></source></hostdev></devices></domain>")) {
            LibvirtException e = assertThrows(LibvirtException.class, () -> DomainDefinition.parse(bad), bad);
            assertEquals(LibvirtException.Kind.BAD_XML, e.kind(), bad);
        }
    }
}
