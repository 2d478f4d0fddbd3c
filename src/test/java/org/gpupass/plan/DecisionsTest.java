package org.gpupass.plan;

import static org.gpupass.core.Hosts.INTEL;
import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.gpupass.core.Hosts;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.PciAddress;
import org.gpupass.plan.Decisions.ClaimState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Claim and Release rules as a table: (host, claim state, config, request) → what the manager does. */
class DecisionsTest {
    private static final long NOW = 1_700_000_000_000_000L;
    private static final ClaimRecord WIN11 = new ClaimRecord(NVIDIA, "win11", 5, Map.of(NVIDIA, "nvidia",
            NVIDIA_AUDIO, "snd_hda_intel"), List.of(), List.of());
    private static final ClaimRecord ADOPTED = ClaimRecord.adopted(NVIDIA, 5);
    private static final ClaimState NONE = new ClaimState(null, false);

    /** A host described by name, optionally with the NVIDIA pair moved to vfio-pci (and a VM holding it). */
    private static HostSnapshot host(String name, String config, boolean onVfio, boolean vmRunning) throws Exception {
        SimulatedKernel k = Hosts.builtIn(name);
        if (onVfio) {
            Hosts.onVfio(k, NVIDIA, NVIDIA_AUDIO);
        }
        if (vmRunning) {
            k.spawn("qemu-system-x86_64", 64055, "machine-qemu\\x2d1\\x2dwin11.scope", "/dev/vfio/1");
        }
        return Hosts.snapshot(k, Hosts.config(config));
    }

    /** One line a person can check against the rules: the decision's kind and what it carries. */
    private static String describe(Decision d) {
        if (d instanceof Decision.Done) {
            return "done";
        } else if (d instanceof Decision.Adopt a) {
            return "adopt for '" + a.claim().holder() + "' since " + a.claim().sinceMicros();
        } else if (d instanceof Decision.Forget f) {
            return "forget: " + f.why();
        } else if (d instanceof Decision.Refuse r) {
            return "refuse " + r.error().kind().shortName() + ": " + r.error().getMessage();
        } else if (d instanceof Decision.Block b) {
            return "block " + b.error().kind().shortName() + ": " + b.error().getMessage();
        }
        Decision.Run run = (Decision.Run) d;
        return "run " + run.intent().operation() + " for '" + run.intent().holder() + "': "
                + run.plan().steps().size() + " steps, first " + run.plan().steps().get(0).describe();
    }

    static Stream<Arguments> claims() throws Exception {
        HostSnapshot dual = host("dual-gpu", "", false, false);
        HostSnapshot dualOnVfio = host("dual-gpu", "", true, false);
        return Stream.of(
                Arguments.of("free GPU", dual, "", NVIDIA, NONE, "win11",
                        "run claim for 'win11': 10 steps, first load module vfio_pci"),
                Arguments.of("held by the caller", dualOnVfio, "", NVIDIA, new ClaimState(WIN11, false), "win11",
                        "done"),
                Arguments.of("held by another", dualOnVfio, "", NVIDIA, new ClaimState(WIN11, false), "linux",
                        "refuse AlreadyClaimed: 0000:01:00.0 is already claimed by win11"),
                Arguments.of("fenced", dual, "", NVIDIA, new ClaimState(null, true), "win11",
                        "refuse Stuck: a kernel write for 0000:01:00.0 hung earlier; 0000:01:00.0 is fenced until a"
                                + " reboot or a remove+rescan of the device"),
                Arguments.of("on vfio-pci, no record", dualOnVfio, "", NVIDIA, NONE, "win11",
                        "adopt for 'win11' since " + NOW),
                Arguments.of("on vfio-pci, adopted before", dualOnVfio, "", NVIDIA, new ClaimState(ADOPTED, false),
                        "win11", "adopt for 'win11' since " + NOW),
                Arguments.of("not managed", dual, "manage = 10de:*", INTEL, NONE, "win11",
                        "refuse NoSuchDevice: GPU 0000:00:02.0 is gone"),
                Arguments.of("boot display", dual, "", INTEL, NONE, "win11",
                        "block BootDisplay: cannot claim 0000:00:02.0: 0000:00:02.0 is the firmware's boot display"
                                + " (set allow_boot_display = true to hand it over)"),
                Arguments.of("shared IOMMU group", host("shared-group", "", false, false), "", NVIDIA, NONE, "win11",
                        "block IommuGroupUnsafe: cannot claim 0000:01:00.0: IOMMU group 1 also holds 0000:00:17.0"
                                + " (SATA controller)"),
                Arguments.of("the session holds the only GPU", host("single-gpu", "", false, false), "", NVIDIA, NONE,
                        "win11", "block BootDisplay: cannot claim 0000:01:00.0: 0000:01:00.0 is the firmware's boot"
                                + " display (set allow_boot_display = true to hand it over)"));
    }

    @ParameterizedTest(name = "claim: {0}")
    @MethodSource("claims")
    void claim(String row, HostSnapshot snap, String config, PciAddress gpu, ClaimState state, String holder,
               String expected) {
        assertEquals(expected, describe(Decisions.claim(snap, Hosts.config(config), gpu, state, holder, NOW)), row);
    }

    static Stream<Arguments> releases() throws Exception {
        HostSnapshot dual = host("dual-gpu", "", false, false);
        HostSnapshot dualOnVfio = host("dual-gpu", "", true, false);
        ClaimState win11 = new ClaimState(WIN11, false);
        return Stream.of(
                Arguments.of("on the host, not claimed", dual, NONE, "win11", "done"),
                Arguments.of("on the host, claimed", dual, win11, "win11",
                        "forget: it is already back on its host drivers"),
                Arguments.of("by the holder", dualOnVfio, win11, "win11",
                        "run release for 'win11': 8 steps, first clear driver_override of 0000:01:00.0"),
                Arguments.of("forced", dualOnVfio, win11, "", "run release for 'win11': 8 steps, first clear"
                        + " driver_override of 0000:01:00.0"),
                Arguments.of("by another", dualOnVfio, win11, "linux",
                        "refuse NotHolder: 0000:01:00.0 is held by win11, not by linux (holder \"\" forces the release)"),
                Arguments.of("adopted, by a named holder", dualOnVfio, new ClaimState(ADOPTED, false), "linux",
                        "refuse NotHolder: 0000:01:00.0 is held by nobody (it was found on vfio-pci), not by linux"
                                + " (holder \"\" forces the release)"),
                Arguments.of("on vfio-pci, no record", dualOnVfio, NONE, "linux",
                        "run release for '': 6 steps, first clear driver_override of 0000:01:00.0"),
                Arguments.of("fenced", dualOnVfio, new ClaimState(WIN11, true), "win11",
                        "refuse Stuck: a kernel write for 0000:01:00.0 hung earlier; 0000:01:00.0 is fenced until a"
                                + " reboot or a remove+rescan of the device"),
                Arguments.of("a VM holds /dev/vfio/1", host("dual-gpu", "", true, true), win11, "win11",
                        "block InUse: cannot release 0000:01:00.0 while a VM uses it: pid 1002 (qemu-system-x86_64,"
                                + " uid 64055, machine-qemu\\x2d1\\x2dwin11.scope) holds /dev/vfio/1"));
    }

    @ParameterizedTest(name = "release: {0}")
    @MethodSource("releases")
    void release(String row, HostSnapshot snap, ClaimState state, String holder, String expected) {
        assertEquals(expected, describe(Decisions.release(snap, Hosts.config(""), NVIDIA, state, holder, NOW)), row);
    }
}
