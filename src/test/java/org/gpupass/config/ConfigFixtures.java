package org.gpupass.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/** What the configuration tests share: a few GPUs to select, and parsing that is expected to fail. */
final class ConfigFixtures {
    static final PciDevice NVIDIA = gpu("0000:01:00.0", 0x10de, 0x2705);
    static final PciDevice NVIDIA_OTHER = gpu("0000:02:00.0", 0x10de, 0x2684);
    static final PciDevice NVIDIA_DOMAIN1 = gpu("0001:01:00.0", 0x10de, 0x2705);
    static final PciDevice INTEL = gpu("0000:00:02.0", 0x8086, 0xa780);
    static final PciDevice AMD = gpu("0000:03:00.0", 0x1002, 0x744c);

    private ConfigFixtures() {
    }

    private static PciDevice gpu(String address, int vendor, int device) {
        return new PciDevice(PciAddress.tryParse(address), vendor, device, 0x030000, null, "", "", 1, false, List.of());
    }

    /** The text as the file gpupassd.conf (its name starts every error message). */
    static Config parse(String text) throws ConfigException {
        return Config.parse(text, "gpupassd.conf");
    }

    static ConfigException fails(String text) {
        return assertThrows(ConfigException.class, () -> parse(text));
    }

    /** The text is refused with a message that starts with {@code start}. */
    static void assertRefusedStartingWith(String text, String start) {
        String message = fails(text).getMessage();
        assertTrue(message.startsWith(start), message);
    }

    /** The text is refused with a message that contains {@code part}. */
    static void assertRefusedContaining(String text, String part) {
        String message = fails(text).getMessage();
        assertTrue(message.contains(part), message);
    }
}
