package org.gpupass.plan;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.gpupass.plan.PlannerClaimTest.SINGLE_GPU_CONSOLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gpupass.config.Config;
import org.gpupass.core.Hosts;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;

/** Release and rollback plans: what a claim did, undone in order; exact lists, as for claims. */
class PlannerReleaseTest {
    /** The NVIDIA pair's host drivers, as its claim recorded them. */
    private static final Map<PciAddress, String> HOST_DRIVERS = Map.of(NVIDIA, "nvidia", NVIDIA_AUDIO, "snd_hda_intel");

    /** How every release of the NVIDIA pair from vfio-pci starts. */
    private static final List<String> OFF_VFIO = List.of(
            "clear driver_override of 0000:01:00.0",
            "unbind 0000:01:00.0 from vfio-pci",
            "clear driver_override of 0000:01:00.1",
            "unbind 0000:01:00.1 from vfio-pci");

    /** Each function probed, then bound to its recorded driver if the probe did not. */
    private static final List<String> BACK_ON_HOST_DRIVERS = List.of(
            "probe 0000:01:00.0",
            "bind 0000:01:00.0 to nvidia (remove+rescan if it refuses)",
            "probe 0000:01:00.1",
            "bind 0000:01:00.1 to snd_hda_intel (remove+rescan if it refuses)");

    /** The planner's release of the NVIDIA GPU on this host. */
    private static List<String> release(SimulatedKernel kernel, Config config, ClaimRecord claim)
            throws GpuPassException {
        HostSnapshot snap = Hosts.snapshot(kernel, config);
        return Planner.release(snap, snap.device(NVIDIA).orElseThrow(), claim).describe();
    }

    /** The planner's rollback of a claim of the NVIDIA pair that did {@code done}. */
    private static List<String> rollback(SimulatedKernel kernel, Config config, List<Step> done) {
        return Planner.rollbackClaim(Hosts.snapshot(kernel, config), List.of(NVIDIA, NVIDIA_AUDIO), HOST_DRIVERS, done)
                .stream().map(Step::describe).toList();
    }

    @SafeVarargs
    private static List<String> steps(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }

    @Test
    void releaseBindsFramebuffersThenConsolesAfterTheHostDriversAndBeforeTheUnits() throws Exception {
        SimulatedKernel kernel = Hosts.builtIn("single-gpu");
        kernel.units().stop("session-2.scope");
        kernel.units().stop("sddm.service");
        kernel.consoles().unbindConsole("vtcon1");
        kernel.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        Hosts.onVfio(kernel, NVIDIA, NVIDIA_AUDIO);
        ClaimRecord claim = new ClaimRecord(NVIDIA, "win11", 1, HOST_DRIVERS, List.of("sddm.service"), List.of(),
                List.of("vtcon1"), List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer")));
        assertEquals(steps(OFF_VFIO, BACK_ON_HOST_DRIVERS, List.of(
                "bind framebuffer efi-framebuffer.0 to efi-framebuffer",
                "bind console vtcon1",
                "start sddm.service")), release(kernel, Hosts.config(SINGLE_GPU_CONSOLES), claim));
    }

    @Test
    void rollbackOfAClaimBindsWhatItUnboundAndWhatIsBoundAlreadyIsLeftAlone() throws Exception {
        SimulatedKernel kernel = Hosts.builtIn("single-gpu");
        Config config = Hosts.config(SINGLE_GPU_CONSOLES);
        kernel.units().stop("session-2.scope");
        kernel.units().stop("sddm.service");
        kernel.consoles().unbindConsole("vtcon1");
        List<Step> done = List.of(new Step.StopUnit("sddm.service"), new Step.StopUnit("session-2.scope"),
                new Step.UnbindConsole("vtcon1"), new Step.UnbindFramebuffer("efi-framebuffer", "efi-framebuffer.0"));
        // The framebuffer unbind was planned but the crash came before it: only the console is bound again.
        assertEquals(List.of("bind console vtcon1", "start sddm.service"), rollback(kernel, config, done));
        kernel.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals(List.of("bind framebuffer efi-framebuffer.0 to efi-framebuffer", "bind console vtcon1",
                "start sddm.service"), rollback(kernel, config, done));
    }

    @Test
    void releaseClearsOverridesUnbindsReloadsProbesAndBindsRecordedDrivers() throws Exception {
        SimulatedKernel kernel = Hosts.onVfio(Hosts.builtIn("dual-gpu"), NVIDIA, NVIDIA_AUDIO);
        kernel.modules().unload("nvidia_drm");
        ClaimRecord claim = new ClaimRecord(NVIDIA, "win11", 1, HOST_DRIVERS, List.of("sddm.service"),
                List.of("nvidia_drm"));
        assertEquals(steps(OFF_VFIO, List.of("load module nvidia_drm"), BACK_ON_HOST_DRIVERS,
                List.of("start sddm.service")), release(kernel, Hosts.config(""), claim));
    }

    @Test
    void releaseOfAnAdoptedGpuOnlyProbes() throws Exception {
        SimulatedKernel kernel = Hosts.onVfio(Hosts.builtIn("dual-gpu"), NVIDIA);
        assertEquals(List.of("clear driver_override of 0000:01:00.0", "unbind 0000:01:00.0 from vfio-pci",
                "probe 0000:01:00.0"), release(kernel, Hosts.config(""), ClaimRecord.adopted(NVIDIA, 1)));
    }

    @Test
    void releaseIsRefusedWhileAVmHoldsTheGroup() throws Exception {
        SimulatedKernel kernel = Hosts.onVfio(Hosts.builtIn("dual-gpu"), NVIDIA, NVIDIA_AUDIO);
        int pid = kernel.spawn("qemu-system-x86", 107, "machine-qemu-1-win11.scope", "/dev/vfio/1");
        GpuPassException e = assertThrows(GpuPassException.class,
                () -> release(kernel, Hosts.config(""), ClaimRecord.adopted(NVIDIA, 1)));
        assertEquals(ErrorKind.IN_USE, e.kind());
        assertTrue(e.getMessage().contains("pid " + pid + " (qemu-system-x86"), e.getMessage());
    }
}
