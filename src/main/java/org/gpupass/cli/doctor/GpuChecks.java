package org.gpupass.cli.doctor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.gpupass.plan.Blocker;
import org.gpupass.config.Config;
import org.gpupass.model.ErrorKind;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.model.PciDevice;

/** Checks 4 and 5: each GPU's group and verdict, and the boot display. */
public final class GpuChecks {
    private GpuChecks() {
    }

    /** Every GPU the config manages, with its verdict. */
    public static List<GpuReport> reports(HostSnapshot snap, Config config) {
        List<GpuReport> out = new ArrayList<>();
        for (PciDevice gpu : snap.gpus(config)) {
            out.add(GpuReport.of(snap, gpu, config));
        }
        return out;
    }

    /** ok when at least one GPU is claimable; fail when none is (nothing can be passed through). */
    public static Check gpus(HostSnapshot snap, Config config, List<GpuReport> reports) {
        String name = "gpus";
        if (reports.isEmpty()) {
            int all = snap.gpus(Config.defaults()).size();
            if (all == 0) {
                return Check.fail(name, "no GPU (PCI class 0x03) found", "this host has no GPU to pass through");
            }
            return Check.fail(name, "none of the " + all + " GPU" + (all == 1 ? "" : "s")
                    + " is managed by the configuration's manage = setting", "list the GPU in manage = (or remove the line)");
        }
        List<String> claimable = reports.stream().filter(GpuReport::claimable)
                .map(r -> r.gpu().address().toString()).toList();
        String count = claimable.size() + " of " + reports.size() + " GPU" + (reports.size() == 1 ? "" : "s")
                + " claimable";
        if (!claimable.isEmpty()) {
            return Check.ok(name, count + ": " + String.join(", ", claimable));
        }
        Set<ErrorKind> kinds = new LinkedHashSet<>();
        List<String> why = new ArrayList<>();
        for (GpuReport r : reports) {
            Set<String> words = new LinkedHashSet<>();
            for (Blocker b : r.blockers()) {
                kinds.add(b.kind());
                words.add(word(b.kind()));
            }
            why.add(r.gpu().address() + ": " + String.join(", ", words));
        }
        List<String> advice = new ArrayList<>();
        for (ErrorKind k : kinds) {
            advice.add(advice(k));
        }
        return Check.fail(name, count + " (" + String.join("; ", why) + ")", String.join("; ", advice));
    }

    static String word(ErrorKind kind) {
        return switch (kind) {
            case IOMMU_DISABLED -> "IOMMU off";
            case IOMMU_GROUP_UNSAFE -> "IOMMU group shared with other devices";
            case BOOT_DISPLAY -> "boot display";
            case IN_USE -> "in use";
            default -> kind.shortName();
        };
    }

    static String advice(ErrorKind kind) {
        return switch (kind) {
            case IOMMU_DISABLED -> "turn the IOMMU on (see the iommu check)";
            case IOMMU_GROUP_UNSAFE -> "put the card in a slot whose IOMMU group holds only the card (and bridges), "
                    + "or look for a firmware update with ACS; never pass part of a group through";
            case BOOT_DISPLAY -> "set allow_boot_display = true in gpupassd.conf to hand over the boot display, "
                    + "or make another GPU the boot display in the firmware setup";
            case IN_USE -> "close the programs holding it, or set stop_display_manager = when-holding "
                    + "when only the display manager and its sessions hold it";
            default -> "see the GPU's blockers";
        };
    }

    /** The firmware's boot display, and whether the host keeps a display while the VM runs. */
    public static Check bootVga(HostSnapshot snap) {
        String name = "boot-vga";
        List<PciDevice> all = snap.gpus(Config.defaults());
        if (all.isEmpty()) {
            return Check.warn(name, "no GPU found", "");
        }
        List<PciDevice> boot = all.stream().filter(PciDevice::bootVga).toList();
        String bootText = boot.isEmpty() ? "no GPU reports boot_vga"
                : "boot display " + boot.get(0).address() + " " + boot.get(0).displayName();
        if (all.size() == 1) {
            return Check.warn(name, "single-GPU host: the host loses its display while the VM runs (" + bootText + ")",
                    "set allow_boot_display = true and stop_display_manager = when-holding, and keep SSH access to the host");
        }
        if (boot.isEmpty()) {
            return Check.ok(name, all.size() + " GPUs; " + bootText);
        }
        List<String> others = all.stream().filter(g -> !g.bootVga()).map(g -> g.address().toString()).toList();
        return Check.ok(name, all.size() + " GPUs: " + bootText + "; the host keeps it while "
                + String.join(", ", others) + " serve" + (others.size() == 1 ? "s" : "") + " a VM");
    }
}
