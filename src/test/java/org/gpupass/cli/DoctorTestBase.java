package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the doctor tests share: a root laid out like a good host, and readers of the JSON report. */
@Timeout(30)
abstract class DoctorTestBase {
    /** dual-gpu with the IOMMU off: every group reads -1. */
    static final String DUAL_NO_IOMMU = """
            iommu off
            load i915 snd_hda_intel nvidia nvidia_modeset nvidia_drm nvidia_uvm
            device 0000:00:01.0 8086:a70d class=0x060400 driver=pcieport group=1
            device 0000:00:02.0 8086:a780 class=0x030000 driver=i915 group=2 boot_vga
            device 0000:01:00.0 10de:2705 class=0x030000 name="NVIDIA AD103" driver=nvidia group=1
            device 0000:01:00.1 10de:22bb class=0x040300 driver=snd_hda_intel group=1
            """;

    @TempDir
    Path dir;

    DoctorRoot good() {
        return DoctorRoot.good(dir.resolve("root"));
    }

    static List<String> json(DoctorRoot.Run run) throws Exception {
        assertTrue(run.err().isEmpty(), run.err());
        return DoctorRoot.flatten(run.out());
    }

    /** doctor --simulate --json on the root: the flattened report, its exit code and the check's verdict checked. */
    static List<String> report(DoctorRoot root, int exitCode, String check, String verdict) throws Exception {
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(exitCode, run.code(), flat.toString());
        assertEquals(verdict, verdict(flat, check), flat.toString());
        return flat;
    }

    static String verdict(List<String> flat, String check) {
        return flat.stream().filter(l -> l.startsWith("check " + check + " ")).findFirst()
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).orElseThrow(() -> new AssertionError("no check " + check));
    }

    static String field(List<String> flat, String kind, String check) {
        return flat.stream().filter(l -> l.startsWith(kind + " " + check + " ") || l.equals(kind + " " + check + " "))
                .findFirst().map(l -> l.substring((kind + " " + check + " ").length())).orElse("");
    }

    Path hostFile(String text) throws Exception {
        Path f = dir.resolve("custom.host");
        Files.writeString(f, text);
        return f;
    }
}
