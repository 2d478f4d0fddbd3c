package org.gpupass.core;

import static org.gpupass.core.Hosts.INTEL;
import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.gpupass.core.Hosts.SATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gpupass.host.Errno;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.Host;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.state.StateStore;
import org.gpupass.state.TransitionLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager with the host around the GPU: display manager, consoles and framebuffers, modules, units, domains. */
class GpuManagerHostTest extends GpuManagerTestBase {
    @Test
    void singleGpuStopsTheDisplayManagerAndStartsItAfterRelease() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        GpuManager m = open(k, "allow_boot_display = yes\nstop_display_manager = when-holding");
        assertTrue(m.gpu(NVIDIA).orElseThrow().claimable(), m.gpu(NVIDIA).orElseThrow().blockers().toString());
        m.claim("", "win11");
        assertFalse(k.units().isActive("sddm.service"));
        assertEquals("vfio-pci", driver(k, NVIDIA));
        m.release("", "win11");
        assertTrue(k.units().isActive("sddm.service"));
        assertEquals("nvidia", driver(k, NVIDIA));
        assertFalse(k.pidsOf("sddm.service").isEmpty());
    }

    @Test
    void singleGpuUnbindsTheConsoleAndTheEfiFramebufferAndReleaseBindsThemAgainAfterARestart() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        String config = "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes";
        GpuManager m = open(k, config);
        m.claim("", "win11");
        assertEquals(List.of(), k.consoles().framebufferConsoles());
        assertEquals(List.of(), k.consoles().firmwareFramebuffers());
        assertEquals("vfio-pci", driver(k, NVIDIA));
        List<String> ops = k.writeLog().stream().map(w -> w.op() + " " + w.target()).toList();
        assertEquals(List.of("STOP_UNIT sddm.service", "STOP_UNIT session-2.scope", "UNBIND_CONSOLE vtcon1",
                "UNBIND_FRAMEBUFFER efi-framebuffer.0", "LOAD_MODULE vfio_pci"), ops.subList(0, 5));
        String file = Files.readString(state.resolve("claims/pci_0000_01_00_0.claim"));
        assertTrue(file.contains("\nunbound_consoles=vtcon1\n"), file);
        assertTrue(file.contains("\nunbound_framebuffers=efi-framebuffer.0:efi-framebuffer\n"), file);

        m.close();
        opened.clear();
        GpuManager restarted = open(k, config);
        assertEquals("win11", restarted.gpu(NVIDIA).orElseThrow().holder());
        int before = k.writeCount();
        restarted.release("", "win11");
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        assertEquals(List.of(new org.gpupass.host.Framebuffer("efi-framebuffer.0", "efi-framebuffer")),
                k.consoles().firmwareFramebuffers());
        assertEquals("nvidia", driver(k, NVIDIA));
        assertTrue(k.units().isActive("sddm.service"));
        List<String> release = k.writeLog().subList(before, k.writeCount()).stream()
                .map(w -> w.op() + " " + w.target() + " " + w.outcome()).toList();
        assertEquals(List.of("BIND_FRAMEBUFFER efi-framebuffer.0 ok", "BIND_CONSOLE vtcon1 ok",
                "START_UNIT sddm.service ok"), release.subList(release.size() - 3, release.size()));
        assertEquals("", restarted.gpu(NVIDIA).orElseThrow().lastError());
    }

    @Test
    void aConsoleThatWillNotBindAgainIsAWarningNotAFailedRelease() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        GpuManager m = open(k, "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes");
        m.claim("", "win11");
        k.failOn(SimulatedKernel.Op.BIND_CONSOLE, "vtcon1", Errno.EBUSY);
        GpuStatus released = m.release("", "win11");
        assertEquals(GpuState.HOST, released.state());
        assertTrue(released.lastError().contains("bind console vtcon1 failed"), released.lastError());
        assertEquals(List.of(), k.consoles().framebufferConsoles());
        assertEquals(1, k.consoles().firmwareFramebuffers().size(), "the framebuffer before it was bound");
        assertTrue(k.units().isActive("sddm.service"), "and the display manager after it started");
    }

    @Test
    void withoutTheKeyTheConsolesAreLeftAlone() throws Exception {
        SimulatedKernel k = Hosts.builtIn("single-gpu");
        GpuManager m = open(k, "allow_boot_display = yes\nstop_display_manager = when-holding");
        m.claim("", "win11");
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        assertEquals(1, k.consoles().firmwareFramebuffers().size());
        assertFalse(Files.readString(state.resolve("claims/pci_0000_01_00_0.claim")).contains("=vtcon1"));
    }

    @Test
    void hostModulesAreUnloadedOnClaimAndLoadedOnRelease() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "unload_host_modules = yes");
        m.claim("", "win11");
        for (String module : List.of("nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm")) {
            assertFalse(k.modules().loaded().containsKey(module), module);
        }
        m.release("", "win11");
        for (String module : List.of("nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm")) {
            assertTrue(k.modules().loaded().containsKey(module), module);
        }
        assertEquals("nvidia", driver(k, NVIDIA));
    }

    @Test
    void domainClaimsFollowTheXml() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        assertEquals(List.of(), m.claimDomain("nogpu", domain("<hostdev mode='subsystem' type='pci' managed='no'>"
                + "<source><address domain='0x0000' bus='0x00' slot='0x17' function='0x0'/></source></hostdev>")));
        int writes = k.writeCount();
        GpuPassException managed = assertThrows(GpuPassException.class, () -> m.claimDomain("win11",
                domain(hostdev("yes", 1))));
        assertEquals(ErrorKind.MANAGED_HOSTDEV, managed.kind());
        assertEquals(writes, k.writeCount());
        List<GpuStatus> claimed = m.claimDomain("win11", domain(hostdev("no", 0) + hostdev("no", 1)));
        assertEquals(List.of(NVIDIA), claimed.stream().map(GpuStatus::address).toList());
        assertEquals("win11", m.gpu(NVIDIA).orElseThrow().holder());
        assertEquals(List.of(), m.releaseDomain("other"));
        assertEquals(List.of(NVIDIA), m.releaseDomain("win11").stream().map(GpuStatus::address).toList());
        assertEquals(GpuState.HOST, m.gpu(NVIDIA).orElseThrow().state());
    }

    @Test
    void aFunctionThatWillNotBindAgainIsRemovedAndRescanned() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k, "");
        m.claim("01:00.0", "win11");
        k.wedge(NVIDIA_AUDIO);
        GpuStatus released = m.release("01:00.0", "win11");
        assertEquals(GpuState.HOST, released.state());
        assertEquals("snd_hda_intel", driver(k, NVIDIA_AUDIO));
        List<String> ops = k.writeLog().stream().map(w -> w.op() + " " + w.target() + " " + w.outcome()).toList();
        assertTrue(ops.contains("BIND 0000:01:00.1 ENODEV"), ops.toString());
        assertTrue(ops.contains("REMOVE 0000:01:00.1 ok"), ops.toString());
        assertTrue(ops.contains("RESCAN  ok"), ops.toString());
    }

    @Test
    void nvidiaPersistencedIsStoppedForTheClaimAndStartedAfterTheRelease() throws Exception {
        SimulatedKernel k = Hosts.parse(Hosts.TWO_DISCRETE + "unit nvidia-persistenced.service active\n"
                + "process nvidia-persistenced uid=0 unit=nvidia-persistenced.service opens=0000:01:00.0\n");
        GpuManager m = open(k, "");
        assertTrue(m.gpu(NVIDIA).orElseThrow().claimable(), m.gpu(NVIDIA).orElseThrow().blockers().toString());
        m.claim("01:00.0", "win11");
        assertFalse(k.units().isActive("nvidia-persistenced.service"));
        m.release("01:00.0", "win11");
        assertTrue(k.units().isActive("nvidia-persistenced.service"));
        assertEquals("nvidia", driver(k, NVIDIA));
    }
}
