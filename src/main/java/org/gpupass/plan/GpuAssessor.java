package org.gpupass.plan;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.gpupass.config.Config;
import org.gpupass.host.NodeHolder;
import org.gpupass.model.ClassNames;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/** Reads a GPU's state word and its claim blockers off a snapshot. Pure. */
public final class GpuAssessor {
    public static final String VFIO_DRIVER = "vfio-pci";

    /** Units a {@code display-manager.service} alias usually points to. */
    private static final Set<String> KNOWN_DISPLAY_MANAGERS = Set.of("sddm.service", "gdm.service", "gdm3.service",
            "lightdm.service", "lxdm.service", "xdm.service", "greetd.service", "ly.service", "slim.service",
            "cosmic-greeter.service", "plasmalogin.service");
    /** Services that keep a driver's GPUs open and are stopped for a claim when they run. */
    public static final Map<String, List<String>> DRIVER_UNITS = Map.of(
            "nvidia", List.of("nvidia-persistenced.service"));
    private static final Pattern SESSION_SCOPE = Pattern.compile("session-[A-Za-z0-9]+\\.scope");

    private GpuAssessor() {
    }

    /** The state sysfs shows for these functions (GPU first), outside any transition. */
    public static GpuState sysfsState(List<PciDevice> functions) {
        PciDevice gpu = functions.get(0);
        if (functions.stream().allMatch(f -> f.driver().equals(VFIO_DRIVER))) {
            return GpuState.VFIO;
        }
        if (!gpu.hasDriver()) {
            return GpuState.UNBOUND;
        }
        // The GPU is on a host driver here; a companion may be on one or unbound, never on vfio-pci.
        boolean anyVfio = functions.stream().anyMatch(f -> f.driver().equals(VFIO_DRIVER));
        return anyVfio ? GpuState.MIXED : GpuState.HOST;
    }

    /**
     * Why a Claim of this GPU would be refused now, in the order a Claim checks them. Holders that
     * only the display manager's session has are no blocker when the config lets us stop it.
     */
    public static List<Blocker> claimBlockers(HostSnapshot snap, PciDevice gpu, Config config) {
        List<Blocker> blockers = new ArrayList<>();
        if (!snap.iommuEnabled() || gpu.iommuGroup() < 0) {
            blockers.add(new Blocker(ErrorKind.IOMMU_DISABLED, "the IOMMU is off: no IOMMU groups (boot with "
                    + "intel_iommu=on or amd_iommu=on and enable VT-d/AMD-Vi in the firmware)"));
        } else {
            List<PciAddress> functions = snap.functionsOf(gpu).stream().map(PciDevice::address).toList();
            for (PciDevice member : snap.groupMembers(gpu.iommuGroup())) {
                if (!functions.contains(member.address()) && !member.isBridge()) {
                    blockers.add(new Blocker(ErrorKind.IOMMU_GROUP_UNSAFE, "IOMMU group " + gpu.iommuGroup()
                            + " also holds " + member.address() + " (" + ClassNames.of(member.classCode()) + ")"));
                }
            }
        }
        if (gpu.bootVga() && !config.allowBootDisplay()) {
            blockers.add(new Blocker(ErrorKind.BOOT_DISPLAY, gpu.address() + " is the firmware's boot display "
                    + "(set allow_boot_display = true to hand it over)"));
        }
        if (displayManagerToStop(snap, gpu, config).isEmpty()) {
            for (NodeHolder h : holdersOutsideStoppedUnits(snap, gpu, config)) {
                blockers.add(new Blocker(ErrorKind.IN_USE, h.describe()));
            }
        }
        return blockers;
    }

    /**
     * What to stop before a claim when every holder of the GPU's nodes belongs to the display
     * manager or a login session and the config allows it: the display manager unit(s) as their
     * processes show them, then the session scopes that still hold the GPU. Empty otherwise.
     */
    public static Optional<DisplayManagerStop> displayManagerToStop(HostSnapshot snap, PciDevice gpu, Config config) {
        List<NodeHolder> holders = holdersOutsideStoppedUnits(snap, gpu, config);
        if (holders.isEmpty() || config.displayManagerPolicy() != Config.DisplayManagerPolicy.WHEN_HOLDING) {
            return Optional.empty();
        }
        Set<String> managers = new LinkedHashSet<>();
        Set<String> sessions = new LinkedHashSet<>();
        for (NodeHolder h : holders) {
            if (isDisplayManager(h.unit(), config)) {
                managers.add(h.unit());
            } else if (SESSION_SCOPE.matcher(h.unit()).matches()) {
                sessions.add(h.unit());
            } else {
                return Optional.empty();
            }
        }
        if (managers.isEmpty()) {
            // Only a session holds it: stopping the display manager ends its sessions.
            managers.add(config.displayManager());
        }
        return Optional.of(new DisplayManagerStop(List.copyOf(managers), List.copyOf(sessions)));
    }

    /**
     * Units a claim stops whatever holds the GPU: the active ones of {@code stop_units} and of the
     * GPU driver's services (nvidia-persistenced for nvidia).
     */
    public static List<String> serviceUnitsToStop(HostSnapshot snap, PciDevice gpu, Config config) {
        Set<String> units = new LinkedHashSet<>(config.stopUnits());
        units.addAll(DRIVER_UNITS.getOrDefault(gpu.driver(), List.of()));
        return units.stream().filter(snap::unitActive).toList();
    }

    /** Holders of the GPU's nodes, less those in units the claim stops anyway. */
    static List<NodeHolder> holdersOutsideStoppedUnits(HostSnapshot snap, PciDevice gpu, Config config) {
        List<String> stopped = serviceUnitsToStop(snap, gpu, config);
        return snap.holdersOf(snap.hostNodes(gpu)).stream().filter(h -> !stopped.contains(h.unit())).toList();
    }

    /** Units to stop so the display manager lets go of a GPU; only {@code managers} can be started again. */
    public record DisplayManagerStop(List<String> managers, List<String> sessions) {
    }

    static boolean isDisplayManager(String unit, Config config) {
        return unit.equals(config.displayManager())
                || (config.displayManager().equals("display-manager.service") && KNOWN_DISPLAY_MANAGERS.contains(unit));
    }

    /** Processes holding the GPU's vfio group node: a VM still using it. */
    public static List<NodeHolder> vfioHolders(HostSnapshot snap, PciDevice gpu) {
        return gpu.iommuGroup() < 0 ? List.of()
                : snap.holdersOf(List.of(HostSnapshot.vfioGroupNode(gpu.iommuGroup())));
    }
}
