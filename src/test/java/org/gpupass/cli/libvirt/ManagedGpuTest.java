package org.gpupass.cli.libvirt;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;

class ManagedGpuTest {
    static final PciAddress INTEL = new PciAddress(0, 0, 2, 0);
    static final PciAddress NVIDIA = new PciAddress(0, 1, 0, 0);
    static final PciAddress AUDIO = new PciAddress(0, 1, 0, 1);

    /** One Status dict, as the daemon sends it. */
    static Map<String, Variant<?>> gpu(String address, String state, String holder, boolean claimable,
                                       List<String> blockers, String... functions) {
        Map<String, Variant<?>> m = new LinkedHashMap<>();
        m.put("Address", new Variant<>(address));
        m.put("Name", new Variant<>("a GPU"));
        m.put("State", new Variant<>(state));
        m.put("Functions", new Variant<>(List.of(functions), "as"));
        m.put("Claimable", new Variant<>(claimable));
        m.put("Blockers", new Variant<>(blockers, "as"));
        m.put("Holder", new Variant<>(holder));
        return m;
    }

    /** dual-gpu: the Intel GPU drives the display; the NVIDIA one is claimable. */
    static List<ManagedGpu> dual(String nvidiaState, String nvidiaHolder, boolean nvidiaClaimable) {
        return ManagedGpu.fromStatus(List.of(
                gpu("0000:00:02.0", "host", "", false, List.of("0000:00:02.0 is the firmware's boot display"), "0000:00:02.0"),
                gpu("0000:01:00.0", nvidiaState, nvidiaHolder, nvidiaClaimable,
                        nvidiaHolder.isEmpty() ? List.of() : List.of("claimed by " + nvidiaHolder),
                        "0000:01:00.0", "0000:01:00.1")));
    }

    @Test
    void statusGivesEachGpuWithItsFunctionsGpuFirst() {
        List<ManagedGpu> gpus = dual("host", "", true);
        assertEquals(List.of(INTEL), gpus.get(0).functions());
        assertEquals(List.of(NVIDIA, AUDIO), gpus.get(1).functions());
        assertEquals(List.of("0000:00:02.0 is the firmware's boot display"), gpus.get(0).blockers());
    }

    @Test
    void anyFunctionNamesItsGpuAndOtherDevicesAreNoSuchDevice() throws Exception {
        List<ManagedGpu> gpus = dual("host", "", true);
        assertEquals(NVIDIA, ManagedGpu.forAttach(gpus, "01:00.1", "win11").address());
        assertEquals(NVIDIA, ManagedGpu.forAttach(gpus, "0000:01:00.0", "win11").address());
        GpuPassException sata = assertThrows(GpuPassException.class, () -> ManagedGpu.forAttach(gpus, "00:17.0", "win11"));
        assertEquals(ErrorKind.NO_SUCH_DEVICE, sata.kind());
        assertEquals(ErrorKind.INVALID_ARGUMENT,
                assertThrows(GpuPassException.class, () -> ManagedGpu.forAttach(gpus, "1:0.0", "w")).kind());
    }

    @Test
    void noDeviceIsTheGpuTheDomainHoldsElseTheOneClaimableGpu() throws Exception {
        assertEquals(NVIDIA, ManagedGpu.forAttach(dual("host", "", true), "", "win11").address());
        assertEquals(NVIDIA, ManagedGpu.forAttach(dual("vfio", "win11", false), "", "win11").address());
        GpuPassException none = assertThrows(GpuPassException.class,
                () -> ManagedGpu.forAttach(dual("vfio", "linux", false), "", "win11"));
        assertEquals(ErrorKind.NO_SUCH_DEVICE, none.kind());
        assertTrue(none.getMessage().contains("0000:01:00.0: claimed by linux"), none.getMessage());
        List<ManagedGpu> two = ManagedGpu.fromStatus(List.of(gpu("0000:01:00.0", "host", "", true, List.of(), "0000:01:00.0"),
                gpu("0000:02:00.0", "host", "", true, List.of(), "0000:02:00.0")));
        assertEquals(ErrorKind.AMBIGUOUS, assertThrows(GpuPassException.class, () -> ManagedGpu.forAttach(two, "", "w")).kind());
    }

    @Test
    void attachTakesAClaimableOrHeldGpuAndRefusesTheRestWithTheDaemonsReasons() {
        List<ManagedGpu> gpus = dual("vfio", "linux", false);
        assertDoesNotThrow(gpus.get(1)::checkAttachable, "held by another domain: fine for the persistent config");
        assertDoesNotThrow(dual("host", "", true).get(1)::checkAttachable);
        ManagedGpu.NotClaimable refused = assertThrows(ManagedGpu.NotClaimable.class, gpus.get(0)::checkAttachable);
        assertEquals("gpupassd cannot claim 0000:00:02.0 now: 0000:00:02.0 is the firmware's boot display",
                refused.getMessage());
        ManagedGpu stuck = ManagedGpu.fromStatus(List.of(gpu("0000:01:00.0", "stuck", "win11", false,
                List.of("a kernel write for 0000:01:00.0 hung"), "0000:01:00.0"))).get(0);
        assertThrows(ManagedGpu.NotClaimable.class, stuck::checkAttachable);
        ManagedGpu claiming = ManagedGpu.fromStatus(List.of(gpu("0000:01:00.0", "claiming", "", false, List.of(),
                "0000:01:00.0"))).get(0);
        assertEquals("gpupassd cannot claim 0000:01:00.0 now (state claiming)",
                assertThrows(ManagedGpu.NotClaimable.class, claiming::checkAttachable).getMessage());
    }

    @Test
    void detachWithoutDeviceIsTheOneGpuOfTheDaemonsInTheDomain() throws Exception {
        List<ManagedGpu> gpus = dual("host", "", true);
        assertEquals(Optional.of(NVIDIA), ManagedGpu.forDetach(gpus, "", Set.of(AUDIO)).map(ManagedGpu::address));
        assertEquals(Optional.empty(), ManagedGpu.forDetach(gpus, "", Set.of(new PciAddress(0, 0, 0x17, 0))));
        assertEquals(ErrorKind.AMBIGUOUS, assertThrows(GpuPassException.class,
                () -> ManagedGpu.forDetach(gpus, "", Set.of(AUDIO, INTEL))).kind());
        assertEquals(Optional.of(INTEL), ManagedGpu.forDetach(gpus, "00:02.0", Set.of()).map(ManagedGpu::address),
                "detach does not ask for claimable: taking a GPU out is always allowed");
    }
}
