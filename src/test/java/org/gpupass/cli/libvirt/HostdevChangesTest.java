package org.gpupass.cli.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.gpupass.cli.libvirt.HostdevChanges.Action;
import org.gpupass.cli.libvirt.HostdevChanges.Change;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;

class HostdevChangesTest {
    static final PciAddress GPU = new PciAddress(0, 1, 0, 0);
    static final PciAddress AUDIO = new PciAddress(0, 1, 0, 1);
    static final List<PciAddress> FUNCTIONS = List.of(GPU, AUDIO);
    static final Function<PciAddress, String> ELEMENT = a -> "<hostdev " + a + "/>";

    /** A domain with PCI hostdevs "0000:01:00.0 yes|no", running or not. */
    static DomainDefinition domain(boolean running, String... hostdevs) throws LibvirtException {
        StringBuilder xml = new StringBuilder("<domain type='kvm'" + (running ? " id='1'" : "") + "><name>win11</name><devices>");
        for (String h : hostdevs) {
            PciAddress a = PciAddress.tryParse(h.split(" ")[0]);
            xml.append("<hostdev mode='subsystem' type='pci' managed='").append(h.split(" ")[1]).append("'><source>")
                    .append(String.format("<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>",
                            a.domain(), a.bus(), a.slot(), a.function()))
                    .append("</source><rom bar='off'/></hostdev>");
        }
        return DomainDefinition.parse(xml.append("</devices></domain>").toString());
    }

    private static String summary(List<Change> changes) {
        return String.join(", ", changes.stream().map(c -> c.action() + " " + String.join("+",
                c.addresses().stream().map(PciAddress::toString).toList()) + (c.config() ? " config" : "")
                + (c.live() ? " live" : "")).toList());
    }

    @Test
    void attachAddsEveryFunctionGpuFirstToTheConfig() throws Exception {
        List<Change> changes = HostdevChanges.attach(FUNCTIONS, domain(false), null, ELEMENT);
        assertEquals("ADD 0000:01:00.0 config, ADD 0000:01:00.1 config", summary(changes));
        assertEquals("<hostdev 0000:01:00.0/>", changes.get(0).xml());
    }

    @Test
    void attachTurnsManagedYesIntoNoInOneDefineThenAddsWhatIsMissing() throws Exception {
        DomainDefinition config = domain(false, "0000:01:00.0 yes");
        List<Change> changes = HostdevChanges.attach(FUNCTIONS, config, null, ELEMENT);
        assertEquals("SET_UNMANAGED 0000:01:00.0 config, ADD 0000:01:00.1 config", summary(changes));
        assertEquals(config.unmanaging(List.of(GPU)), changes.get(0).xml(), "the whole domain, for virsh define");
        List<Change> both = HostdevChanges.attach(FUNCTIONS, domain(false, "0000:01:00.1 yes", "0000:01:00.0 yes"),
                null, ELEMENT);
        assertEquals("SET_UNMANAGED 0000:01:00.0+0000:01:00.1 config", summary(both));
    }

    @Test
    void attachChangesNothingWhenEveryFunctionIsThereUnmanaged() throws Exception {
        assertEquals(List.of(), HostdevChanges.attach(FUNCTIONS, domain(false, "0000:01:00.1 no", "0000:01:00.0 no"),
                null, ELEMENT));
    }

    @Test
    void attachHotPlugsWhatTheRunningDomainLacksApartFromWhatTheConfigLacks() throws Exception {
        DomainDefinition config = domain(false, "0000:01:00.0 no");
        DomainDefinition live = domain(true, "0000:01:00.0 no", "0000:01:00.1 no");
        assertEquals("ADD 0000:01:00.1 config", summary(HostdevChanges.attach(FUNCTIONS, config, live, ELEMENT)));
        assertEquals("ADD 0000:01:00.0 config live, ADD 0000:01:00.1 config live",
                summary(HostdevChanges.attach(FUNCTIONS, domain(false), domain(true), ELEMENT)));
        assertEquals("ADD 0000:01:00.1 live", summary(HostdevChanges.attach(FUNCTIONS,
                domain(false, "0000:01:00.0 no", "0000:01:00.1 no"), domain(true, "0000:01:00.0 no"), ELEMENT)));
    }

    @Test
    void detachRemovesEachFunctionFromWhereItIsManagedOrNot() throws Exception {
        assertEquals("REMOVE 0000:01:00.0 config, REMOVE 0000:01:00.1 config", summary(HostdevChanges.detach(FUNCTIONS,
                domain(false, "0000:01:00.1 no", "0000:01:00.0 yes"), null, ELEMENT)));
        assertEquals("REMOVE 0000:01:00.0 config live, REMOVE 0000:01:00.1 live", summary(HostdevChanges.detach(FUNCTIONS,
                domain(false, "0000:01:00.0 no"), domain(true, "0000:01:00.0 no", "0000:01:00.1 no"), ELEMENT)));
        assertEquals(List.of(), HostdevChanges.detach(FUNCTIONS, domain(false, "0000:00:17.0 no"), null, ELEMENT));
    }
}
