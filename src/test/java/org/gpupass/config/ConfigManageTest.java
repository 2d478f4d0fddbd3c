package org.gpupass.config;

import static org.gpupass.config.ConfigFixtures.AMD;
import static org.gpupass.config.ConfigFixtures.INTEL;
import static org.gpupass.config.ConfigFixtures.NVIDIA;
import static org.gpupass.config.ConfigFixtures.NVIDIA_DOMAIN1;
import static org.gpupass.config.ConfigFixtures.NVIDIA_OTHER;
import static org.gpupass.config.ConfigFixtures.assertRefusedStartingWith;
import static org.gpupass.config.ConfigFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.gpupass.model.PciDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code manage}: which GPUs a selection takes, by address or by vendor and device id. */
class ConfigManageTest {
    private static final Map<String, PciDevice> GPUS = Map.of("NVIDIA", NVIDIA, "NVIDIA_OTHER", NVIDIA_OTHER,
            "NVIDIA_DOMAIN1", NVIDIA_DOMAIN1, "INTEL", INTEL, "AMD", AMD);

    /** Each row: the selection, the GPUs it manages, and GPUs it does not manage (names in {@link #GPUS}). */
    @ParameterizedTest(name = "manage = {0}")
    @CsvSource(delimiter = '|', value = {
            "all              | NVIDIA NVIDIA_OTHER NVIDIA_DOMAIN1 INTEL AMD |",
            "0000:01:00.0     | NVIDIA                     | NVIDIA_OTHER NVIDIA_DOMAIN1 INTEL",
            // a short address means PCI domain 0
            "01:00.0          | NVIDIA                     | NVIDIA_DOMAIN1",
            "0001:01:00.0     | NVIDIA_DOMAIN1             |",
            "10DE:2705        | NVIDIA NVIDIA_DOMAIN1      | NVIDIA_OTHER INTEL",
            "10de:*           | NVIDIA NVIDIA_OTHER        | AMD INTEL",
            "1002:*   00:02.0 | AMD INTEL                  | NVIDIA"})
    void manageSelects(String selection, String managed, String unmanaged) throws Exception {
        Config c = parse("manage = " + selection);
        assertEquals(selection.equals("all"), c.manage().equals(GpuSelection.ALL), c.manage().toString());
        for (String gpu : names(managed)) {
            assertTrue(c.manages(GPUS.get(gpu)), gpu);
        }
        for (String gpu : names(unmanaged)) {
            assertFalse(c.manages(GPUS.get(gpu)), gpu);
        }
    }

    private static String[] names(String list) {
        return list == null ? new String[0] : list.split(" +");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"''", "ALL", "all 01:00.0", "01:00", "1:00.0", "0000:01:00.8",
            "10de", "10de:27051", "*:2705", "10de:27*", "01:00.0 01:00.0", "nvidia"})
    void badManage(String value) {
        assertRefusedStartingWith("manage = " + value, "gpupassd.conf:1: manage: ");
    }
}
