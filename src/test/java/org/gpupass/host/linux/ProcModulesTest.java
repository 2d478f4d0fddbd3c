package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.ModuleInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProcModulesTest {
    static final String MODULES = """
            nvidia_uvm 1540096 0 - Live 0x0000000000000000 (POE)
            nvidia_drm 94208 4 - Live 0x0000000000000000 (POE)
            nvidia_modeset 1314816 6 nvidia_drm, Live 0x0000000000000000 (POE)
            nvidia 56799232 1345 nvidia_uvm,nvidia_modeset, Live 0x0000000000000000 (POE)
            snd_hda_intel 61440 3 - Live 0x0000000000000000
            vfio_pci 16384 0 - Live 0x0000000000000000
            broken line
            bad 1 x - Live 0x0
            """;

    /** Surely not a module anywhere. */
    static final String NO_SUCH = "gpupass_test_no_such_module";

    @RegisterExtension
    final FakeHost fake = new FakeHost(r -> r.procModules(MODULES));

    @Test
    void procModulesParsedWithUseCountsAndUsers() throws IOException {
        Map<String, ModuleInfo> m = fake.host.modules().loaded();
        assertEquals(new ModuleInfo("nvidia", 1345, List.of("nvidia_uvm", "nvidia_modeset")), m.get("nvidia"));
        assertEquals(new ModuleInfo("nvidia_modeset", 6, List.of("nvidia_drm")), m.get("nvidia_modeset"));
        assertEquals(new ModuleInfo("nvidia_uvm", 0, List.of()), m.get("nvidia_uvm"));
        assertEquals(6, m.size(), "malformed lines skipped: " + m.keySet());
    }

    @Test
    void parseLineRejectsMalformed() {
        assertNull(ProcModules.parseLine("x"));
        assertNull(ProcModules.parseLine("a 1 - - Live 0x0"));
        assertNull(ProcModules.parseLine("a/b 1 0 - Live 0x0"));
        assertNull(ProcModules.parseLine("a 1 0 ../x, Live 0x0"));
        assertEquals(new ModuleInfo("kvm", 1, List.of("kvm_intel")), ProcModules.parseLine("kvm 1 1 kvm_intel, Live 0x0"));
    }

    @Test
    void noProcModulesMeansNoModules() throws IOException {
        Files.delete(fake.root.path("proc/modules"));
        assertEquals(Map.of(), fake.host.modules().loaded());
    }

    @Test
    void moduleOfDriverFollowsTheModuleLinkWhenLoaded() throws IOException {
        fake.root.driverModule("nvidia", "nvidia");
        fake.root.driverModule("bochs-drm", "bochs"); // link present, module not in /proc/modules
        fake.root.driverModule("snd_hda_intel", "snd_hda_intel");
        fake.root.mkdirs("sys/bus/pci/drivers/pcieport"); // built in: no module link
        assertEquals(Optional.of("nvidia"), fake.host.modules().moduleOfDriver("nvidia"));
        assertEquals(Optional.of("snd_hda_intel"), fake.host.modules().moduleOfDriver("snd_hda_intel"));
        assertEquals(Optional.empty(), fake.host.modules().moduleOfDriver("bochs-drm"));
        assertEquals(Optional.empty(), fake.host.modules().moduleOfDriver("pcieport"));
        assertEquals(Optional.empty(), fake.host.modules().moduleOfDriver("amdgpu"));
        assertEquals(Optional.empty(), fake.host.modules().moduleOfDriver("../../../module"));
    }

    @Test
    void moduleNamesAreCheckedAndNormalised() throws KernelWriteException {
        assertEquals("nvidia_drm", ProcModules.normalise("nvidia-drm", "modprobe"));
        for (String bad : List.of("", "../x", "a b", "-r", "a,b", "x".repeat(60))) {
            if (bad.equals("-r")) {
                continue; // a valid name by the pattern; modprobe gets "--" before it
            }
            KernelWriteException e = assertThrows(KernelWriteException.class,
                    () -> ProcModules.normalise(bad, "modprobe"), bad);
            assertEquals(Errno.EINVAL, e.errno());
        }
        assertThrows(KernelWriteException.class, () -> fake.host.modules().load("../../evil"));
        assertThrows(KernelWriteException.class, () -> fake.host.modules().unload("a b"));
    }

    @Test
    void modprobeOfAnUnknownModuleIsEnoent() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/modprobe")) || Files.isExecutable(Path.of("/sbin/modprobe")),
                "no modprobe here");
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.modules().load(NO_SUCH));
        assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        assertEquals("modprobe " + NO_SUCH, e.path());
    }

    @Test
    void deleteModuleOfAnUnloadedModuleIsRefusedWithItsErrno() {
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.modules().unload(NO_SUCH));
        // ENOSYS on a kernel built without module support, such as this sandbox's
        assertTrue(e.errno() == Errno.ENOENT || e.errno() == Errno.EPERM || e.errno() == Errno.ENOSYS,
                e.getMessage());
        assertEquals("delete_module " + NO_SUCH, e.path());
    }
}
