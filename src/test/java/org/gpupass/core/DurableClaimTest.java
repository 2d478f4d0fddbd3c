package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transition counts only once its record is durable: a claim or release whose record cannot be
 * written (a full disk) fails with TransitionFailed and is rolled back, so a restart shows what the
 * caller was told. Real full-disk runs of the daemon: FullStateDirIT.
 */
class DurableClaimTest {
    private static final String CLAIM_FILE = "claims/pci_0000_01_00_0.claim";

    @TempDir
    Path state;

    /** The state directory on a disk that can be made full for claim records (the intent still fits). */
    static final class FullDisk extends StateStore {
        volatile boolean claimsFail;
        volatile boolean deletesFail;

        FullDisk(Path dir) throws IOException {
            super(dir);
        }

        @Override
        public void saveClaim(ClaimRecord claim) throws IOException {
            if (claimsFail) {
                throw new IOException("No space left on device");
            }
            super.saveClaim(claim);
        }

        @Override
        public void deleteClaim(PciAddress gpu) throws IOException {
            if (deletesFail) {
                throw new IOException("Read-only file system");
            }
            super.deleteClaim(gpu);
        }
    }

    private GpuManager open(SimulatedKernel kernel, StateStore store) throws IOException {
        GpuManager m = new GpuManager(kernel.host(), Hosts.config(""), store, "test", (i, s) -> { });
        m.start();
        return m;
    }

    @Test
    void aClaimThatCannotBeRecordedFailsAndIsRolledBack() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        FullDisk disk = new FullDisk(state);
        GpuManager m = open(k, disk);
        RecordingListener events = new RecordingListener();
        m.addListener(events);
        disk.claimsFail = true;
        GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
        assertEquals(ErrorKind.TRANSITION_FAILED, e.kind());
        assertTrue(e.getMessage().contains("cannot be recorded") && e.getMessage().contains("No space left on device")
                && e.getMessage().contains("rolled back"), e.getMessage());
        assertEquals("nvidia", Hosts.device(k, NVIDIA).driver());
        assertEquals("snd_hda_intel", Hosts.device(k, NVIDIA_AUDIO).driver());
        GpuStatus after = m.gpu(NVIDIA).orElseThrow();
        assertEquals(GpuState.HOST, after.state());
        assertEquals("", after.holder());
        assertEquals(e.getMessage(), after.lastError());
        assertEquals(List.of("0000:01:00.0 org.gpupass1.Error.TransitionFailed"), events.failures);
        assertFalse(Files.exists(state.resolve(CLAIM_FILE)));
        assertFalse(Files.exists(state.resolve("intent")));
        m.close();

        disk.claimsFail = false;
        GpuManager restarted = open(k, disk);
        assertEquals(GpuState.HOST, restarted.gpu(NVIDIA).orElseThrow().state());
        assertEquals("win11", restarted.claim("01:00.0", "win11").holder(), "room again: the claim goes through");
        restarted.close();
    }

    @Test
    void aReleaseWhoseRecordCannotBeRemovedFailsAndTheGpuStaysClaimed() throws Exception {
        SimulatedKernel k = Hosts.builtIn("dual-gpu");
        FullDisk disk = new FullDisk(state);
        GpuManager m = open(k, disk);
        m.claim("01:00.0", "win11");
        disk.deletesFail = true;
        GpuPassException e = assertThrows(GpuPassException.class, () -> m.release("01:00.0", "win11"));
        assertEquals(ErrorKind.TRANSITION_FAILED, e.kind());
        assertTrue(e.getMessage().contains("Read-only file system"), e.getMessage());
        assertEquals("vfio-pci", Hosts.device(k, NVIDIA).driver());
        assertEquals(GpuState.VFIO, m.gpu(NVIDIA).orElseThrow().state());
        assertEquals("win11", m.gpu(NVIDIA).orElseThrow().holder());
        m.close();

        disk.deletesFail = false;
        GpuManager restarted = open(k, disk);
        assertEquals("win11", restarted.gpu(NVIDIA).orElseThrow().holder(), "what the record says after a restart");
        restarted.release("01:00.0", "win11");
        assertEquals("nvidia", Hosts.device(k, NVIDIA).driver());
        restarted.close();
    }

    @Test
    void anAdoptionThatCannotBeRecordedFailsAndChangesNothing() throws Exception {
        SimulatedKernel k = Hosts.onVfio(Hosts.builtIn("dual-gpu"), NVIDIA, NVIDIA_AUDIO);
        FullDisk disk = new FullDisk(state);
        GpuManager m = open(k, disk);
        disk.claimsFail = true;
        int writes = k.writeCount();
        GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
        assertEquals(ErrorKind.TRANSITION_FAILED, e.kind());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals(writes, k.writeCount());
        assertEquals("", m.gpu(NVIDIA).orElseThrow().holder());
        assertTrue(m.gpu(NVIDIA).orElseThrow().claimable(), "another holder may still adopt it");
        m.close();
    }

    @Test
    void aGpuFoundOnVfioAtStartIsAdoptedEvenWhenTheDiskIsFull() throws Exception {
        SimulatedKernel k = Hosts.onVfio(Hosts.builtIn("dual-gpu"), NVIDIA, NVIDIA_AUDIO);
        FullDisk disk = new FullDisk(state);
        disk.claimsFail = true;
        GpuManager m = open(k, disk);
        assertEquals(GpuState.VFIO, m.gpu(NVIDIA).orElseThrow().state());
        assertEquals("", m.gpu(NVIDIA).orElseThrow().holder());
        m.close();
    }
}
