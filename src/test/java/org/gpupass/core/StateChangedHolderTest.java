package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.gpupass.host.Errno;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StateChanged's holder is who the change is for: the claimant while claiming and once vfio, the
 * holder being released while releasing, "" when no holder is involved; the Holder property stays
 * "" until the claim is made.
 */
class StateChangedHolderTest {
    @TempDir
    Path state;

    private GpuManager manager;
    private final RecordingListener events = new RecordingListener();

    private GpuManager open(SimulatedKernel kernel) {
        manager = Hosts.manager(kernel, state, Hosts.config(""));
        manager.addListener(events);
        return manager;
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void aClaimIsForTheClaimantAndAReleaseForTheHolderBeingReleased() throws Exception {
        GpuManager m = open(Hosts.builtIn("dual-gpu"));
        List<String> holderWhileClaiming = new java.util.ArrayList<>();
        m.addListener(new RecordingListener() {
            @Override
            public synchronized void gpuChanged(GpuStatus before, GpuStatus after, String holder) {
                if (after.state() == GpuState.CLAIMING) {
                    holderWhileClaiming.add(after.holder());
                }
            }
        });
        m.claim("01:00.0", "win11");
        m.release("01:00.0", "win11");
        assertEquals(List.of("host->claiming 'win11'", "claiming->vfio 'win11'", "vfio->releasing 'win11'",
                "releasing->host ''"), events.stateChangeHolders());
        assertEquals(List.of(""), holderWhileClaiming, "the Holder property is \"\" until the claim is made");
    }

    @Test
    void aFailedClaimEndsWithNoHolder() {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k);
        k.failOn(SimulatedKernel.Op.SET_OVERRIDE, NVIDIA_AUDIO.toString(), Errno.EIO);
        assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
        assertEquals(List.of("host->claiming 'win11'", "claiming->host ''"), events.stateChangeHolders());
    }

    @Test
    void aFailedReleaseIsBackWithItsHolder() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k);
        m.claim("01:00.0", "win11");
        k.failOn(SimulatedKernel.Op.SET_OVERRIDE, NVIDIA_AUDIO.toString(), Errno.EIO);
        assertThrows(GpuPassException.class, () -> m.release("01:00.0", "win11"));
        assertEquals(List.of("host->claiming 'win11'", "claiming->vfio 'win11'", "vfio->releasing 'win11'",
                "releasing->vfio 'win11'"), events.stateChangeHolders());
    }

    @Test
    void aChangeSeenInSysfsIsForNobody() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        GpuManager m = open(k);
        m.claim("01:00.0", "win11");
        Hosts.rebindToHostDrivers(k, NVIDIA, NVIDIA_AUDIO);
        m.refresh();
        assertEquals("vfio->host ''", events.stateChangeHolders().get(2));
    }
}
