package org.gpupass.model;

import java.util.Map;

/** Human names of PCI classes, for blocker sentences ("(SATA controller)") and doctor's group lists. */
public final class ClassNames {
    private static final Map<Integer, String> BY_SUBCLASS = Map.ofEntries(
            Map.entry(0x0100, "SCSI controller"), Map.entry(0x0101, "IDE controller"),
            Map.entry(0x0104, "RAID controller"), Map.entry(0x0106, "SATA controller"),
            Map.entry(0x0107, "SAS controller"), Map.entry(0x0108, "NVMe controller"),
            Map.entry(0x0200, "Ethernet controller"), Map.entry(0x0280, "Network controller"),
            Map.entry(0x0300, "VGA controller"), Map.entry(0x0302, "3D controller"),
            Map.entry(0x0380, "Display controller"), Map.entry(0x0401, "Audio device"),
            Map.entry(0x0403, "Audio device"), Map.entry(0x0600, "Host bridge"),
            Map.entry(0x0601, "ISA bridge"), Map.entry(0x0604, "PCI bridge"),
            Map.entry(0x0780, "Communication controller"), Map.entry(0x0805, "SD host controller"),
            Map.entry(0x0c03, "USB controller"), Map.entry(0x0c05, "SMBus"),
            Map.entry(0x0c80, "Serial bus controller"), Map.entry(0x1180, "Signal processing controller"));

    private ClassNames() {
    }

    public static String of(int classCode) {
        return BY_SUBCLASS.getOrDefault(classCode >>> 8, String.format("class %04x", classCode >>> 8));
    }
}
