package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gpupass.config.Config;
import org.gpupass.host.Errno;
import org.gpupass.host.Host;
import org.gpupass.host.PciBus;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step fails and then the host cannot be read, so no rollback can be planned: the call still
 * ends as a failure the model shows (no transition left open), and the intent stays on disk so
 * that the next start of the daemon rolls back on a host it can read.
 */
class UnreadableHostTest {
    @TempDir
    Path state;

    /** The simulated PCI bus, whose device list can be made unreadable (an EIO from sysfs). */
    static final class FlakyBus implements PciBus {
        final PciBus real;
        volatile boolean unreadable;

        FlakyBus(PciBus real) {
            this.real = real;
        }

        @Override
        public List<PciDevice> devices() throws IOException {
            if (unreadable) {
                throw new IOException("/sys/bus/pci/devices: Input/output error");
            }
            return real.devices();
        }

        @Override
        public Optional<String> driverOf(PciAddress function) throws IOException {
            return real.driverOf(function);
        }

        @Override
        public boolean iommuEnabled() throws IOException {
            return real.iommuEnabled();
        }

        @Override
        public void setDriverOverride(PciAddress function, String driver) throws IOException {
            real.setDriverOverride(function, driver);
        }

        @Override
        public void unbind(PciAddress function, String driver) throws IOException {
            real.unbind(function, driver);
        }

        @Override
        public void driversProbe(PciAddress function) throws IOException {
            real.driversProbe(function);
        }

        @Override
        public void bind(PciAddress function, String driver) throws IOException {
            real.bind(function, driver);
        }

        @Override
        public void remove(PciAddress function) throws IOException {
            real.remove(function);
        }

        @Override
        public void rescan() throws IOException {
            real.rescan();
        }
    }

    private static GpuManager manager(Host host, Path dir, Config config, Executor.StepObserver observer)
            throws Exception {
        GpuManager m = new GpuManager(host, config, new StateStore(dir), "test", observer);
        m.start();
        return m;
    }

    @Test
    void a_failure_with_an_unreadable_host_closes_the_transition_and_leaves_the_rollback_to_the_next_start()
            throws Exception {
        SimulatedKernel kernel = Hosts.builtIn("dual-gpu");
        Host real = kernel.host();
        FlakyBus bus = new FlakyBus(real.pci());
        Host host = new Host(bus, real.nodes(), real.modules(), real.units(), real.consoles());
        Config config = Hosts.config("");
        kernel.failWrite(3, Errno.EIO);
        GpuManager m = manager(host, state, config, (i, step) -> {
            if (i == 1) {
                bus.unreadable = true;
            }
        });
        try {
            GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", "win11"));
            assertEquals(ErrorKind.TRANSITION_FAILED, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("not rolled back"), e.getMessage());
            assertEquals("", m.transition(), "no transition is left open");
            GpuStatus gpu = m.gpu(NVIDIA).orElseThrow();
            assertNotEquals(GpuState.CLAIMING, gpu.state());
            assertEquals(e.getMessage(), gpu.lastError());
        } finally {
            m.close();
        }
        assertTrue(new StateStore(state).loadIntent().isPresent(), "the intent stays for the next start");

        bus.unreadable = false;
        GpuManager next = manager(host, state, config, (i, step) -> { });
        try {
            assertEquals(GpuState.HOST, next.gpu(NVIDIA).orElseThrow().state());
            assertEquals("nvidia", kernel.pci().driverOf(NVIDIA).orElse(""));
            assertEquals("snd_hda_intel", kernel.pci().driverOf(NVIDIA_AUDIO).orElse(""));
            assertFalse(new StateStore(state).loadIntent().isPresent(), "the next start rolled back");
        } finally {
            next.close();
        }
    }
}
