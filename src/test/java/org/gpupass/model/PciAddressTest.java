package org.gpupass.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PciAddressTest {

    @Test
    void parsesFullAndShortForms() throws Exception {
        assertEquals(new PciAddress(0, 1, 0, 0), PciAddress.parse("0000:01:00.0"));
        assertEquals(new PciAddress(0, 1, 0, 1), PciAddress.parse("01:00.1"));
        assertEquals(new PciAddress(0xabcd, 0xff, 0x1f, 7), PciAddress.parse("ABCD:ff:1f.7"));
    }

    @Test
    void printsCanonicalAndNodedevSpellings() {
        PciAddress a = new PciAddress(0, 1, 0, 1);
        assertEquals("0000:01:00.1", a.toString());
        assertEquals("pci_0000_01_00_1", a.nodedevName());
        assertEquals("01:00.1", a.shortForm());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1:00.0", "0000:01:00.8", "0000:01:20.0", "0000:01:00", "00000:01:00.0",
            "0000:01:00.0 ", " 01:00.0", "0000-01-00.0", "gg:00.0", "0000:01:00.0\n", "01:00.0;rm"})
    void rejectsMalformed(String text) {
        assertNull(PciAddress.tryParse(text));
        GpuPassException e = assertThrows(GpuPassException.class, () -> PciAddress.parse(text));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    }
}
