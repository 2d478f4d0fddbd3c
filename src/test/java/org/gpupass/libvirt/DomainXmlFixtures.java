package org.gpupass.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;

/** What the domain XML tests share: a realistic domain, small ones built around a hostdev, and refusal. */
final class DomainXmlFixtures {
    /** What `virsh dumpxml win11` gives for a running Windows 11 guest with a GPU and its audio passed through. */
    static final String WIN11 = resource("/libvirt/win11-running-dumpxml.xml");

    static final PciAddress GPU = new PciAddress(0, 1, 0, 0);
    static final PciAddress AUDIO = new PciAddress(0, 1, 0, 1);

    private DomainXmlFixtures() {
    }

    private static String resource(String name) {
        try (InputStream in = DomainXmlFixtures.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String domainWith(String devices) {
        return "<domain type='kvm'><name>vm</name><devices>" + devices + "</devices></domain>";
    }

    static String pci(String attributes, String address) {
        return "<hostdev mode='subsystem' type='pci'" + attributes + "><source><address " + address
                + "/></source></hostdev>";
    }

    /** The document is refused as InvalidArgument, as the daemon answers a caller. */
    static GpuPassException refused(String xml) {
        GpuPassException e = assertThrows(GpuPassException.class, () -> DomainXml.pciHostdevs(xml));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        return e;
    }
}
