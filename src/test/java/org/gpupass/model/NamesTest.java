package org.gpupass.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void unitNamesFollowSystemd() {
        for (String ok : List.of("sddm.service", "getty@tty1.service", "session-2.scope", "dev-dri-card1.device",
                "gdm\\x2dwayland.service", "user@1000.service", "a:b_c.d.target", "x".repeat(247) + ".service")) {
            assertTrue(Names.unit(ok), ok);
        }
        for (String bad : List.of("", "sddm", ".service", "-x.service", "getty@.service", "a@b@c.service",
                "../sddm.service", "a/b.service", "a b.service", "sddm.service;reboot", "sddm.servicex",
                "x".repeat(248) + ".service")) {
            assertFalse(Names.unit(bad), bad);
        }
        assertFalse(Names.unit(null));
        assertTrue(Names.service("sddm.service"));
        assertFalse(Names.service("session-2.scope"));
    }

    @Test
    void moduleNamesFollowTheKernel() {
        for (String ok : List.of("nvidia", "nvidia-drm", "nvidia_drm", "snd_hda_intel", "x".repeat(55))) {
            assertTrue(Names.module(ok), ok);
        }
        for (String bad : List.of("", "x".repeat(56), "a.b", "../evil", "a b", "a/b")) {
            assertFalse(Names.module(bad), bad);
        }
        assertFalse(Names.module(null));
        assertEquals("nvidia_drm", Names.kernelModuleName("nvidia-drm"));
    }

    @Test
    void driverNamesStayInTheirDirectory() {
        for (String ok : List.of("nvidia", "bochs-drm", "vfio-pci", "efi-framebuffer", "snd_hda_intel", "a.b")) {
            assertTrue(Names.driver(ok), ok);
        }
        for (String bad : List.of("", ".", "..", "a/b", "a b", "nvidia\n")) {
            assertFalse(Names.driver(bad), bad);
        }
        assertFalse(Names.driver(null));
    }
}
