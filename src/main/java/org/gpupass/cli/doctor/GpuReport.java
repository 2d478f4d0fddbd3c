package org.gpupass.cli.doctor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gpupass.plan.Blocker;
import org.gpupass.model.ClassNames;
import org.gpupass.config.Config;
import org.gpupass.plan.GpuAssessor;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.model.PciDevice;

/**
 * One GPU as the doctor shows it: its functions, every member of its IOMMU group, and whether a
 * Claim could succeed now (the daemon's own blockers, {@link GpuAssessor#claimBlockers}).
 */
public record GpuReport(PciDevice gpu, String state, List<PciDevice> functions, List<Member> members,
                        List<Blocker> blockers) {

    /** A device of the GPU's IOMMU group. */
    public record Member(PciDevice device, boolean functionOfGpu) {
        public String className() {
            return ClassNames.of(device.classCode());
        }
    }

    public GpuReport {
        functions = List.copyOf(functions);
        members = List.copyOf(members);
        blockers = List.copyOf(blockers);
    }

    public static GpuReport of(HostSnapshot snap, PciDevice gpu, Config config) {
        List<PciDevice> functions = snap.functionsOf(gpu);
        List<Member> members = new ArrayList<>();
        for (PciDevice d : snap.groupMembers(gpu.iommuGroup())) {
            members.add(new Member(d, functions.stream().anyMatch(f -> f.address().equals(d.address()))));
        }
        String state = GpuAssessor.sysfsState(functions).word();
        return new GpuReport(gpu, state, functions, members, GpuAssessor.claimBlockers(snap, gpu, config));
    }

    public boolean claimable() {
        return blockers.isEmpty();
    }

    /** The JSON object of the documented schema. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", gpu.address().toString());
        m.put("name", gpu.displayName());
        m.put("driver", gpu.driver());
        m.put("iommu_group", gpu.iommuGroup());
        m.put("boot_vga", gpu.bootVga());
        m.put("state", state);
        m.put("functions", functions.stream().map(f -> f.address().toString()).toList());
        List<Object> ms = new ArrayList<>();
        for (Member member : members) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("address", member.device().address().toString());
            o.put("class", member.className());
            o.put("driver", member.device().driver());
            o.put("function_of_gpu", member.functionOfGpu());
            ms.add(o);
        }
        m.put("members", ms);
        m.put("claimable", claimable());
        m.put("blockers", blockers.stream().map(Blocker::sentence).toList());
        return m;
    }
}
