package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.gpupass.host.Errno;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ClaimDomain's rollback on a host with two claimable GPUs. */
class DomainClaimTest {
    @TempDir
    Path state;

    private static String hostdev(int bus) {
        return "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x0" + bus
                + "' slot='0x00' function='0x0'/></source></hostdev>";
    }

    private static String domain(String devices) {
        return "<domain type='kvm'><name>win11</name><devices>" + devices + "</devices></domain>";
    }

    @Test
    void aFailedClaimDomainKeepsTheGpusTheDomainHeldBefore() throws Exception {
        SimulatedKernel k = Hosts.parse(Hosts.TWO_DISCRETE);
        GpuManager m = Hosts.manager(k, state, Hosts.config(""));
        try {
            m.claim("01:00.0", "win11");
            k.failOn(SimulatedKernel.Op.DRIVERS_PROBE, SECOND.toString(), Errno.EIO);
            GpuPassException e = assertThrows(GpuPassException.class,
                    () -> m.claimDomain("win11", domain(hostdev(1) + hostdev(2))));
            assertEquals(ErrorKind.TRANSITION_FAILED, e.kind());
            GpuStatus held = m.gpu(NVIDIA).orElseThrow();
            assertEquals(GpuState.VFIO, held.state(), "the GPU win11 held before the call was released");
            assertEquals("win11", held.holder());
            assertEquals("vfio-pci", Hosts.device(k, NVIDIA).driver());
            assertEquals("", m.gpu(SECOND).orElseThrow().holder());
        } finally {
            m.close();
        }
    }

    @Test
    void aFailedClaimDomainReleasesTheGpusThisCallClaimed() throws Exception {
        SimulatedKernel k = Hosts.parse(Hosts.TWO_DISCRETE);
        GpuManager m = Hosts.manager(k, state, Hosts.config(""));
        try {
            k.failOn(SimulatedKernel.Op.DRIVERS_PROBE, SECOND.toString(), Errno.EIO);
            assertThrows(GpuPassException.class, () -> m.claimDomain("win11", domain(hostdev(1) + hostdev(2))));
            assertEquals(GpuState.HOST, m.gpu(NVIDIA).orElseThrow().state());
            assertEquals("", m.gpu(NVIDIA).orElseThrow().holder());
            assertEquals("nvidia", Hosts.device(k, NVIDIA).driver());
        } finally {
            m.close();
        }
    }
}
