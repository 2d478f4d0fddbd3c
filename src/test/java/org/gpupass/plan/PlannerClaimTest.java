package org.gpupass.plan;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.gpupass.config.Config;
import org.gpupass.core.Hosts;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Claim plans for every (host, config), supergfxctl style: no hardware, exact lists. */
class PlannerClaimTest {
    /** A single-GPU host that hands its boot display over, consoles and all (the release tests start there too). */
    static final String SINGLE_GPU_CONSOLES =
            "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes";

    /** The claim of the NVIDIA GPU and its audio function from the host drivers, once nothing else is in the way. */
    private static final List<String> NVIDIA_PAIR_TO_VFIO = List.of(
            "load module vfio_pci",
            "set driver_override of 0000:01:00.0 to vfio-pci",
            "unbind 0000:01:00.0 from nvidia",
            "set driver_override of 0000:01:00.1 to vfio-pci",
            "unbind 0000:01:00.1 from snd_hda_intel",
            "probe 0000:01:00.0",
            "probe 0000:01:00.1",
            "wait for 0000:01:00.0 on vfio-pci",
            "wait for 0000:01:00.1 on vfio-pci",
            "wait for /dev/vfio/1");

    /** The planner's claim of the NVIDIA GPU on this host. */
    static Plan claim(SimulatedKernel kernel, Config config) throws GpuPassException {
        HostSnapshot snap = Hosts.snapshot(kernel, config);
        return Planner.claim(snap, snap.device(NVIDIA).orElseThrow(), config);
    }

    @Test
    void dualGpuClaimDetachesEveryFunctionThenProbesAndWatches() throws Exception {
        assertEquals(NVIDIA_PAIR_TO_VFIO, claim(Hosts.builtIn("dual-gpu"), Hosts.config("")).describe());
    }

    @Test
    void vfioModuleAlreadyLoadedIsNotLoadedAgain() throws Exception {
        SimulatedKernel kernel = Hosts.builtIn("dual-gpu");
        kernel.modules().load("vfio_pci");
        assertEquals("set driver_override of 0000:01:00.0 to vfio-pci",
                claim(kernel, Hosts.config("")).describe().get(0));
    }

    @Test
    void hostModulesAreUnloadedInConfiguredOrderAfterTheUnbinds() throws Exception {
        List<String> plan = claim(Hosts.builtIn("dual-gpu"), Hosts.config("unload_host_modules = yes")).describe();
        assertEquals(List.of("unbind 0000:01:00.1 from snd_hda_intel", "unload module nvidia_drm",
                "unload module nvidia_modeset", "unload module nvidia_uvm", "unload module nvidia",
                "probe 0000:01:00.0"), plan.subList(4, 10));
    }

    @Test
    void hostModulesStayWhenAnotherGpuUsesTheDriver() throws Exception {
        String twoNvidia = Hosts.TWO_DISCRETE.replace("1002:744c class=0x030000 name=\"AMD Navi 31\" driver=amdgpu",
                "10de:2705 class=0x030000 name=\"NVIDIA AD103\" driver=nvidia");
        List<String> plan = claim(Hosts.parse(twoNvidia), Hosts.config("unload_host_modules = yes")).describe();
        assertTrue(plan.stream().noneMatch(s -> s.startsWith("unload")), plan.toString());
    }

    @Test
    void singleGpuStopsTheDisplayManagerAndItsSessionAndRestartsItOnlyOnRelease() throws Exception {
        Config config = Hosts.config("allow_boot_display = yes\nstop_display_manager = when-holding");
        Plan plan = claim(Hosts.builtIn("single-gpu"), config);
        assertEquals(List.of("stop sddm.service", "stop session-2.scope"), plan.describe().subList(0, 2));
        assertTrue(plan.describe().get(2).startsWith("wait until no process holds ")
                && plan.describe().get(2).contains("/dev/dri/card0"), plan.describe().get(2));
        assertTrue(plan.describe().stream().noneMatch(s -> s.startsWith("start")), plan.describe().toString());
        assertEquals(List.of("sddm.service"), plan.unitsToRestore());
    }

    @Test
    void singleGpuUnbindsConsolesAndTheEfiFramebufferAfterTheDisplayManagerStopped() throws Exception {
        Plan plan = claim(Hosts.builtIn("single-gpu"), Hosts.config(SINGLE_GPU_CONSOLES));
        List<String> expected = new ArrayList<>(List.of(
                "stop sddm.service",
                "stop session-2.scope",
                "wait until no process holds /dev/nvidia0, /dev/dri/card0, /dev/dri/renderD128, /dev/snd/controlC0, "
                        + "/dev/snd/pcmC0D3p, /dev/snd/hwC0D0, /dev/nvidiactl, /dev/nvidia-modeset, /dev/nvidia-uvm, "
                        + "/dev/nvidia-uvm-tools",
                "unbind console vtcon1",
                "unbind framebuffer efi-framebuffer.0 from efi-framebuffer"));
        expected.addAll(NVIDIA_PAIR_TO_VFIO);
        assertEquals(expected, plan.describe());
        assertEquals(List.of("vtcon1"), plan.unboundConsoles());
        assertEquals(List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer")), plan.unboundFramebuffers());
        assertEquals(List.of("sddm.service"), plan.unitsToRestore());
    }

    @Test
    void noConsoleStepsWithTheKeyOffOrForAGpuThatIsNotTheBootDisplay() throws Exception {
        Config off = Hosts.config("allow_boot_display = yes\nstop_display_manager = when-holding");
        HostSnapshot snap = Hosts.snapshot(Hosts.builtIn("single-gpu"), off);
        Plan plan = Planner.claim(snap, snap.device(NVIDIA).orElseThrow(), off);
        assertTrue(plan.describe().stream().noneMatch(s -> s.contains("console") || s.contains("framebuffer")),
                plan.describe().toString());
        assertEquals(List.of(), snap.framebufferConsoles(), "not read when the config does not ask");

        String consoles = "console vtcon1 name=\"(M) frame buffer device\"\n"
                + "framebuffer efi-framebuffer.0 driver=efi-framebuffer\n";
        Config on = Hosts.config("unbind_consoles = yes");
        HostSnapshot dual = Hosts.snapshot(Hosts.parse(Hosts.TWO_DISCRETE + consoles), on);
        assertEquals(List.of("vtcon1"), dual.framebufferConsoles(), "the Intel GPU is the boot display");
        Plan nvidia = Planner.claim(dual, dual.device(NVIDIA).orElseThrow(), on);
        assertTrue(nvidia.describe().stream().noneMatch(s -> s.contains("console") || s.contains("framebuffer")),
                nvidia.describe().toString());
        assertEquals(List.of(), nvidia.unboundConsoles());

        HostSnapshot noBootGpu = Hosts.snapshot(Hosts.parse(Hosts.TWO_DISCRETE + consoles),
                Hosts.config("unbind_consoles = yes\nmanage = 01:00.0 02:00.0"));
        assertEquals(List.of(), noBootGpu.framebufferConsoles(), "no managed GPU is the boot display: not read");
    }

    @Test
    void dualGpuRestartsTheDisplayManagerRightAfterTheClaim() throws Exception {
        String dmOnNvidia = Hosts.TWO_DISCRETE.replace("opens=0000:00:02.0", "opens=0000:01:00.0");
        Plan plan = claim(Hosts.parse(dmOnNvidia), Hosts.config("stop_display_manager = when-holding"));
        assertEquals("stop sddm.service", plan.describe().get(0));
        assertEquals("start sddm.service", plan.describe().get(plan.steps().size() - 1));
        assertEquals(List.of(), plan.unitsToRestore());
    }

    @Test
    void configuredUnitsAreStoppedFirstAndRestoredOnRelease() throws Exception {
        SimulatedKernel kernel = Hosts.parse(Hosts.TWO_DISCRETE + "unit nvidia-persistenced.service active\n");
        Plan plan = claim(kernel, Hosts.config("stop_units = nvidia-persistenced.service"));
        assertEquals("stop nvidia-persistenced.service", plan.describe().get(0));
        assertEquals(List.of("nvidia-persistenced.service"), plan.unitsToRestore());
    }

    // ------------------------------------------------------------ refused

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("shared-group", "", ErrorKind.IOMMU_GROUP_UNSAFE,
                        "IOMMU group 1 also holds 0000:00:17.0 (SATA controller)"),
                Arguments.of("single-gpu", "", ErrorKind.BOOT_DISPLAY, "0000:01:00.0 is the firmware's boot display"),
                Arguments.of("single-gpu", "allow_boot_display = yes", ErrorKind.IN_USE, "(Xorg, uid 0, sddm.service) holds"),
                Arguments.of("single-gpu", "allow_boot_display = yes\nstop_display_manager = never",
                        ErrorKind.IN_USE, "(kwin_wayland, uid 1000, session-2.scope) holds"));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void unsafeClaimsAreRefusedWithTheSpecErrorAndNoSteps(String host, String config, ErrorKind kind, String text) throws Exception {
        GpuPassException e = assertThrows(GpuPassException.class,
                () -> claim(Hosts.builtIn(host), Hosts.config(config)));
        assertEquals(kind, e.kind());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void iommuOffIsRefused() throws Exception {
        SimulatedKernel kernel = Hosts.parse(Hosts.TWO_DISCRETE.replace("iommu on", "iommu off"));
        GpuPassException e = assertThrows(GpuPassException.class, () -> claim(kernel, Hosts.config("")));
        assertEquals(ErrorKind.IOMMU_DISABLED, e.kind());
    }

    @Test
    void aHolderOutsideTheDisplayManagerBlocksEvenWhenStoppingIsAllowed() throws Exception {
        SimulatedKernel kernel = Hosts.builtIn("dual-gpu");
        int pid = kernel.spawn("ollama", 998, "ollama.service", "/dev/nvidia0");
        GpuPassException e = assertThrows(GpuPassException.class,
                () -> claim(kernel, Hosts.config("stop_display_manager = when-holding")));
        assertEquals(ErrorKind.IN_USE, e.kind());
        assertEquals("cannot claim 0000:01:00.0: pid " + pid + " (ollama, uid 998, ollama.service) holds /dev/nvidia0",
                e.getMessage());
    }

    // ------------------------------------------------------------ invariants

    /** Invariants every generated claim plan keeps, whatever the host and config. */
    @ParameterizedTest
    @MethodSource("everyClaimablePlan")
    void everyClaimPlanKeepsThePerFunctionOrder(String name, List<Step> steps) throws Exception {
        for (PciAddress fn : List.of(NVIDIA, NVIDIA_AUDIO)) {
            int override = indexOf(steps, new Step.SetOverride(fn, "vfio-pci"));
            int probe = indexOf(steps, new Step.Probe(fn));
            int await = indexOf(steps, new Step.AwaitDriver(fn, "vfio-pci"));
            assertTrue(override >= 0 && override < probe && probe < await, name + ": " + steps);
            int unbind = firstMatching(steps, s -> s instanceof Step.Unbind u && u.function().equals(fn));
            assertTrue(unbind > override && unbind < probe, name + ": " + steps);
        }
        int lastUnbind = lastMatching(steps, s -> s instanceof Step.Unbind);
        int firstUnload = firstMatching(steps, s -> s instanceof Step.UnloadModule);
        assertTrue(firstUnload == -1 || firstUnload > lastUnbind, name);
        int firstStop = firstMatching(steps, s -> s instanceof Step.StopUnit);
        assertTrue(firstStop == -1 || firstStop < firstMatching(steps, s -> s instanceof Step.SetOverride), name);
        assertTrue(steps.get(steps.size() - 1) instanceof Step.AwaitNode
                || steps.get(steps.size() - 1) instanceof Step.StartUnit, name);
        // Consoles, then firmware framebuffers: after every stop and wait, before vfio-pci and the first override.
        int firstConsole = firstMatching(steps, s -> s instanceof Step.UnbindConsole);
        int lastConsole = lastMatching(steps, s -> s instanceof Step.UnbindConsole);
        int firstFramebuffer = firstMatching(steps, s -> s instanceof Step.UnbindFramebuffer);
        int lastFramebuffer = lastMatching(steps, s -> s instanceof Step.UnbindFramebuffer);
        int lastStopOrWait = lastMatching(steps, s -> s instanceof Step.StopUnit || s instanceof Step.AwaitNoHolders);
        int firstAttach = firstMatching(steps, s -> s instanceof Step.LoadModule || s instanceof Step.SetOverride);
        for (int i : new int[] {firstConsole, lastConsole, firstFramebuffer, lastFramebuffer}) {
            assertTrue(i == -1 || (i > lastStopOrWait && i < firstAttach), name + ": " + steps);
        }
        assertTrue(firstFramebuffer == -1 || firstFramebuffer > lastConsole, name + ": " + steps);
        assertTrue(steps.stream().noneMatch(s -> s instanceof Step.BindConsole || s instanceof Step.BindFramebuffer),
                name);
    }

    static Stream<Arguments> everyClaimablePlan() throws Exception {
        List<Arguments> plans = new ArrayList<>();
        String[] configs = {"", "unload_host_modules = yes", "stop_display_manager = when-holding",
                "stop_units = nvidia-persistenced.service\nunload_host_modules = yes",
                "allow_boot_display = yes\nstop_display_manager = when-holding\nunload_host_modules = yes",
                "allow_boot_display = yes\nstop_display_manager = when-holding\nunbind_consoles = yes"};
        String[] hosts = {"dual-gpu", "single-gpu", Hosts.TWO_DISCRETE + "unit nvidia-persistenced.service active\n",
                Hosts.TWO_DISCRETE.replace("opens=0000:00:02.0", "opens=0000:01:00.0")};
        for (String host : hosts) {
            for (String text : configs) {
                SimulatedKernel kernel = host.contains("\n") ? Hosts.parse(host) : Hosts.builtIn(host);
                try {
                    Plan plan = claim(kernel, Hosts.config(text));
                    plans.add(Arguments.of(host.lines().findFirst().orElse(host) + " / " + text, plan.steps()));
                } catch (GpuPassException refused) {
                    // Refusals are covered above.
                }
            }
        }
        assertTrue(plans.size() >= 12, "too few plans: " + plans.size());
        return plans.stream();
    }

    private static int indexOf(List<Step> steps, Step step) {
        return steps.indexOf(step);
    }

    private static int firstMatching(List<Step> steps, java.util.function.Predicate<Step> p) {
        for (int i = 0; i < steps.size(); i++) {
            if (p.test(steps.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static int lastMatching(List<Step> steps, java.util.function.Predicate<Step> p) {
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (p.test(steps.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
