package org.gpupass.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.gpupass.config.Config;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.NodeHolder;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.Names;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.plan.Step.AwaitDriver;
import org.gpupass.plan.Step.AwaitNoHolders;
import org.gpupass.plan.Step.AwaitNode;
import org.gpupass.plan.Step.BindConsole;
import org.gpupass.plan.Step.BindFramebuffer;
import org.gpupass.plan.Step.EnsureDriver;
import org.gpupass.plan.Step.LoadModule;
import org.gpupass.plan.Step.Probe;
import org.gpupass.plan.Step.SetOverride;
import org.gpupass.plan.Step.StartUnit;
import org.gpupass.plan.Step.StopUnit;
import org.gpupass.plan.Step.Unbind;
import org.gpupass.plan.Step.UnbindConsole;
import org.gpupass.plan.Step.UnbindFramebuffer;
import org.gpupass.plan.Step.UnloadModule;

/**
 * Turns (host snapshot, config, request) into the ordered steps of a transition. Pure: no I/O, so
 * every plan can be checked without hardware. The orders are documented in docs/transitions.md.
 */
public final class Planner {
    private static final String VFIO = GpuAssessor.VFIO_DRIVER;
    /** The module providing vfio-pci, in the kernel's spelling (as /proc/modules shows it). */
    static final String VFIO_MODULE = "vfio_pci";

    private Planner() {
    }

    /**
     * Claim: refuse on any blocker; stop units and (if only it holds the GPU) the display manager;
     * unbind the framebuffer consoles, then the firmware framebuffers (boot display GPU with
     * {@code unbind_consoles}); load vfio-pci; per function driver_override=vfio-pci and unbind; unload host modules if
     * configured; probe; verify every function on vfio-pci and /dev/vfio/N; start the display
     * manager again if another GPU stays on the host.
     */
    public static Plan claim(HostSnapshot snap, PciDevice gpu, Config config) throws GpuPassException {
        List<Blocker> blockers = GpuAssessor.claimBlockers(snap, gpu, config);
        if (!blockers.isEmpty()) {
            ErrorKind kind = blockers.get(0).kind();
            String why = blockers.stream().filter(b -> b.kind() == kind).map(Blocker::sentence)
                    .collect(Collectors.joining("; "));
            throw new GpuPassException(kind, "cannot claim " + gpu.address() + ": " + why);
        }
        List<PciDevice> functions = snap.functionsOf(gpu);
        List<Step> steps = new ArrayList<>();
        List<String> unitsToRestore = new ArrayList<>();
        for (String unit : GpuAssessor.serviceUnitsToStop(snap, gpu, config)) {
            steps.add(new StopUnit(unit));
            unitsToRestore.add(unit);
        }
        Optional<GpuAssessor.DisplayManagerStop> displayManager = GpuAssessor.displayManagerToStop(snap, gpu, config);
        displayManager.ifPresent(dm -> {
            dm.managers().forEach(u -> steps.add(new StopUnit(u)));
            dm.sessions().forEach(u -> steps.add(new StopUnit(u)));
        });
        if (!steps.isEmpty() && !snap.holdersOf(snap.hostNodes(gpu)).isEmpty()) {
            steps.add(new AwaitNoHolders(snap.hostNodes(gpu)));
        }
        List<String> consoles = List.of();
        List<Framebuffer> framebuffers = List.of();
        if (gpu.bootVga() && config.unbindConsoles()) {
            consoles = snap.framebufferConsoles();
            framebuffers = snap.firmwareFramebuffers();
            consoles.forEach(c -> steps.add(new UnbindConsole(c)));
            framebuffers.forEach(f -> steps.add(new UnbindFramebuffer(f.driver(), f.device())));
        }
        if (!snap.moduleLoaded(VFIO_MODULE)) {
            steps.add(new LoadModule(VFIO_MODULE));
        }
        steps.addAll(detachForVfio(functions));
        List<String> unloaded = config.unloadHostModules() ? hostModulesToUnload(snap, gpu, functions, config) : List.of();
        unloaded.forEach(m -> steps.add(new UnloadModule(m)));
        steps.addAll(attachToVfio(functions, gpu.iommuGroup()));
        displayManager.ifPresent(dm -> {
            if (anotherGpuOnHost(snap, gpu)) {
                dm.managers().forEach(u -> steps.add(new StartUnit(u)));
            } else {
                unitsToRestore.addAll(dm.managers());
            }
        });
        return new Plan(steps, unitsToRestore, unloaded, consoles, framebuffers);
    }

    /**
     * Release: refuse while a process (the VM) holds /dev/vfio/N; per function clear the override
     * and unbind from vfio-pci; load the modules the claim unloaded; probe and make sure each
     * function is back on its recorded host driver; bind the framebuffers, then the consoles, the
     * claim unbound; start the units the claim stopped.
     */
    public static Plan release(HostSnapshot snap, PciDevice gpu, ClaimRecord claim) throws GpuPassException {
        List<NodeHolder> vm = GpuAssessor.vfioHolders(snap, gpu);
        if (!vm.isEmpty()) {
            throw new GpuPassException(ErrorKind.IN_USE, "cannot release " + gpu.address() + " while a VM uses it: "
                    + vm.stream().map(NodeHolder::describe).collect(Collectors.joining("; ")));
        }
        List<String> reload = new ArrayList<>(claim.unloadedModules());
        Collections.reverse(reload);
        List<Step> steps = new ArrayList<>(moveToHost(snap, snap.functionsOf(gpu), claim.hostDrivers(), reload));
        steps.addAll(rebind(snap, claim.unboundConsoles(), claim.unboundFramebuffers()));
        claim.unitsToRestore().forEach(u -> steps.add(new StartUnit(u)));
        return new Plan(steps, List.of(), List.of());
    }

    /**
     * Rollback of a claim that failed after {@code done}: back to the drivers it started from,
     * modules it unloaded loaded again, framebuffers and consoles it unbound bound again, units it
     * stopped started again.
     */
    public static List<Step> rollbackClaim(HostSnapshot now, List<PciAddress> functions,
                                           Map<PciAddress, String> origin, List<Step> done) {
        return rollbackClaim(now, functions, origin, ClaimUndo.of(done));
    }

    /** Rollback of a claim, from what it did: the functions back on {@code origin}, then {@code undo} undone. */
    static List<Step> rollbackClaim(HostSnapshot now, List<PciAddress> functions, Map<PciAddress, String> origin,
                                    ClaimUndo undo) {
        List<Step> steps = new ArrayList<>(moveToHost(now, present(now, functions), origin, undo.modulesToLoad()));
        steps.addAll(rebind(now, undo.consoles(), undo.framebuffers()));
        undo.unitsToStart().forEach(u -> steps.add(new StartUnit(u)));
        return steps;
    }

    /**
     * An interrupted claim found finished at start-up (every function on vfio-pci): what its plan
     * would still have done at the end, starting again the units it stopped and meant to start itself.
     */
    public static List<Step> resumeClaim(Intent.Claiming claim) {
        List<Step> steps = new ArrayList<>();
        for (String unit : claim.unitsStopped()) {
            if (!claim.unitsToRestore().contains(unit) && restartable(unit)) {
                steps.add(new StartUnit(unit));
            }
        }
        return steps;
    }

    /** An interrupted claim found unfinished at start-up: rolled back to where it started. */
    public static List<Step> undoInterruptedClaim(HostSnapshot now, Intent.Claiming claim) {
        return rollbackClaim(now, claim.functions(), claim.driversBefore(), ClaimUndo.of(claim));
    }

    /**
     * An interrupted release found at start-up: finished, whatever step it reached (each step reads
     * what is bound now): back to the recorded drivers, modules loaded again, framebuffers and
     * consoles bound again, units started again.
     */
    public static List<Step> finishInterruptedRelease(HostSnapshot now, Intent.Releasing release) {
        List<String> reload = new ArrayList<>(release.unloadedModules());
        Collections.reverse(reload);
        List<Step> steps = new ArrayList<>(moveToHost(now, present(now, release.functions()), release.hostDrivers(),
                reload));
        steps.addAll(rebind(now, release.unboundConsoles(), release.unboundFramebuffers()));
        release.unitsToRestore().forEach(u -> steps.add(new StartUnit(u)));
        return steps;
    }

    /**
     * Binds again what a claim unbound: the framebuffers first, then the consoles, each in reverse
     * unbind order; one the snapshot shows bound already is left alone.
     */
    static List<Step> rebind(HostSnapshot snap, List<String> consoles, List<Framebuffer> framebuffers) {
        List<Step> steps = new ArrayList<>();
        for (int i = framebuffers.size() - 1; i >= 0; i--) {
            Framebuffer f = framebuffers.get(i);
            if (!snap.framebufferBound(f.device())) {
                steps.add(new BindFramebuffer(f.driver(), f.device()));
            }
        }
        for (int i = consoles.size() - 1; i >= 0; i--) {
            if (!snap.framebufferConsoles().contains(consoles.get(i))) {
                steps.add(new BindConsole(consoles.get(i)));
            }
        }
        return steps;
    }

    /**
     * Rollback of a release that failed after {@code done}: every function back on vfio-pci, and
     * the host modules it loaded unloaded again (after the unbinds, as a claim does). A release
     * fails only before its console and framebuffer binds (those never fail it), so there are none to undo.
     */
    public static List<Step> rollbackRelease(HostSnapshot now, List<PciAddress> functions, int group,
                                             List<Step> done) {
        List<PciDevice> present = present(now, functions);
        List<Step> steps = new ArrayList<>();
        if (!now.moduleLoaded(VFIO_MODULE)) {
            steps.add(new LoadModule(VFIO_MODULE));
        }
        steps.addAll(detachForVfio(present));
        for (int i = done.size() - 1; i >= 0; i--) {
            if (done.get(i) instanceof LoadModule m && !m.module().equals(VFIO_MODULE) && now.moduleLoaded(m.module())) {
                steps.add(new UnloadModule(m.module()));
            }
        }
        steps.addAll(attachToVfio(present, group));
        return steps;
    }

    /**
     * Moves functions from wherever they are to host drivers: clear overrides, unbind what is on
     * another driver, load modules, probe, then bind explicitly where a driver is recorded.
     * A function with no recorded driver is only probed.
     */
    static List<Step> moveToHost(HostSnapshot snap, List<PciDevice> functions, Map<PciAddress, String> target,
                                 List<String> modulesToLoad) {
        List<PciDevice> moving = functions.stream().filter(fn -> !settled(fn, target.get(fn.address()))).toList();
        List<Step> steps = new ArrayList<>();
        for (PciDevice fn : moving) {
            if (!fn.driverOverride().isEmpty()) {
                steps.add(new SetOverride(fn.address(), ""));
            }
            if (fn.hasDriver()) {
                steps.add(new Unbind(fn.address(), fn.driver()));
            }
        }
        for (String module : modulesToLoad) {
            if (!snap.moduleLoaded(module)) {
                steps.add(new LoadModule(module));
            }
        }
        for (PciDevice fn : moving) {
            String wanted = target.get(fn.address());
            steps.add(new Probe(fn.address()));
            if (wanted != null && !wanted.isEmpty()) {
                steps.add(new EnsureDriver(fn.address(), wanted));
            }
        }
        return steps;
    }

    /**
     * Already where it should be: on the recorded driver, or, with none recorded, on some host
     * driver (an adopted GPU's companion the kernel never gave to vfio-pci).
     */
    private static boolean settled(PciDevice fn, String wanted) {
        if (wanted != null) {
            return fn.driver().equals(wanted) && fn.driverOverride().isEmpty();
        }
        return fn.hasDriver() && !fn.driver().equals(VFIO) && fn.driverOverride().isEmpty();
    }

    /**
     * Each function's driver_override set to vfio-pci and the function unbound from its host driver:
     * the next probe then gives it to vfio-pci and nothing else.
     */
    private static List<Step> detachForVfio(List<PciDevice> functions) {
        List<Step> steps = new ArrayList<>();
        for (PciDevice fn : functions) {
            if (!fn.driverOverride().equals(VFIO)) {
                steps.add(new SetOverride(fn.address(), VFIO));
            }
            if (fn.hasDriver() && !fn.driver().equals(VFIO)) {
                steps.add(new Unbind(fn.address(), fn.driver()));
            }
        }
        return steps;
    }

    private static List<Step> attachToVfio(List<PciDevice> functions, int group) {
        List<Step> steps = new ArrayList<>();
        for (PciDevice fn : functions) {
            if (!fn.driver().equals(VFIO)) {
                steps.add(new Probe(fn.address()));
            }
        }
        functions.forEach(fn -> steps.add(new AwaitDriver(fn.address(), VFIO)));
        steps.add(new AwaitNode(HostSnapshot.vfioGroupNode(group)));
        return steps;
    }

    /**
     * The host driver's modules, in unload order, when nothing but this GPU uses them: no other
     * device on the driver, and no loaded module outside the list depending on one in it.
     */
    static List<String> hostModulesToUnload(HostSnapshot snap, PciDevice gpu, List<PciDevice> functions,
                                            Config config) {
        String driver = gpu.driver();
        if (driver.isEmpty() || driver.equals(VFIO)) {
            return List.of();
        }
        List<PciAddress> ours = functions.stream().map(PciDevice::address).toList();
        if (!snap.otherUsersOfDriver(driver, ours).isEmpty()) {
            return List.of();
        }
        List<String> configured = config.modulesFor(driver);
        List<String> modules = configured.isEmpty() ? snap.moduleOfDriver(driver).map(List::of).orElse(List.of())
                : configured;
        List<String> loaded = modules.stream().map(Names::kernelModuleName).filter(snap::moduleLoaded).toList();
        Set<String> set = Set.copyOf(loaded);
        for (String m : loaded) {
            if (!set.containsAll(snap.modules().get(m).usedBy())) {
                return List.of();
            }
        }
        return loaded;
    }

    private static boolean anotherGpuOnHost(HostSnapshot snap, PciDevice gpu) {
        return snap.devices().stream().anyMatch(d -> d.isGpu() && !d.address().sameSlot(gpu.address())
                && d.hasDriver() && !d.driver().equals(VFIO));
    }

    /** A session scope ends when stopped; it cannot be started again. */
    static boolean restartable(String unit) {
        return !unit.endsWith(".scope");
    }

    private static List<PciDevice> present(HostSnapshot snap, List<PciAddress> functions) {
        return functions.stream().map(snap::device).flatMap(Optional::stream).toList();
    }
}
