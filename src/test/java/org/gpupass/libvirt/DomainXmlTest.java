package org.gpupass.libvirt;

import static org.gpupass.libvirt.DomainXmlFixtures.AUDIO;
import static org.gpupass.libvirt.DomainXmlFixtures.GPU;
import static org.gpupass.libvirt.DomainXmlFixtures.WIN11;
import static org.gpupass.libvirt.DomainXmlFixtures.domainWith;
import static org.gpupass.libvirt.DomainXmlFixtures.pci;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PCI hostdevs found in a domain's XML, read as libvirt reads them; what is refused is
 * {@link DomainXmlRefusalTest}'s.
 */
class DomainXmlTest {

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

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no"})
    void managedValuesRoundTrip(String managed) throws Exception {
        List<Hostdev> h = DomainXml.pciHostdevs(domainWith(pci(" managed='" + managed + "'",
                "domain='0x0000' bus='0x01' slot='0x00' function='0x1'")));
        assertEquals(List.of(new Hostdev(AUDIO, managed.equals("yes"))), h);
    }

    @Test
    void parsingIsThreadSafe() throws Exception {
        for (List<Hostdev> h : parsedOnFourThreads(WIN11, 40)) {
            assertEquals(List.of(new Hostdev(GPU, false), new Hostdev(AUDIO, false)), h);
        }
    }

    /** Callers parse their 1 MiB documents one after the other, not all at once (the heap holds few DOMs). */
    @Test
    void documentsAreParsedOneAtATime() throws Exception {
        StringBuilder b = new StringBuilder("<domain><devices>");
        while (b.length() < DomainXml.MAX_BYTES - 100) {
            b.append("<a/>");
        }
        String xml = b.append("</devices></domain>").toString();
        assertEquals(Collections.nCopies(4, List.of()), parsedOnFourThreads(xml, 4));
        assertEquals(1, DomainXml.mostAtOnce());
    }

    /** The document parsed {@code times} times by a pool of four threads; the results in order. */
    private static List<List<Hostdev>> parsedOnFourThreads(String xml, int times) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Hostdev>>> parses = new ArrayList<>();
            for (int i = 0; i < times; i++) {
                parses.add(pool.submit(() -> DomainXml.pciHostdevs(xml)));
            }
            List<List<Hostdev>> results = new ArrayList<>();
            for (Future<List<Hostdev>> f : parses) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
