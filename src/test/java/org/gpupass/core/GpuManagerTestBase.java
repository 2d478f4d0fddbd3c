package org.gpupass.core;

import static org.gpupass.core.Hosts.INTEL;
import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.gpupass.core.Hosts.SATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gpupass.host.Errno;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.Host;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.state.StateStore;
import org.gpupass.state.TransitionLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the manager tests share: a state directory, managers closed after each test, driver reads. */
abstract class GpuManagerTestBase {
    @TempDir
    Path state;

    final List<GpuManager> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(GpuManager::close);
    }

    GpuManager open(SimulatedKernel kernel, String config) {
        GpuManager m = Hosts.manager(kernel, state, Hosts.config(config));
        opened.add(m);
        return m;
    }

    static String driver(SimulatedKernel k, PciAddress a) {
        return Hosts.device(k, a).driver();
    }

    static String override(SimulatedKernel k, PciAddress a) {
        return Hosts.device(k, a).driverOverride();
    }

    static String hostdev(String managed, int function) {
        return "<hostdev mode='subsystem' type='pci' managed='" + managed + "'><source><address domain='0x0000' "
                + "bus='0x01' slot='0x00' function='0x" + function + "'/></source></hostdev>";
    }

    static String domain(String devices) {
        return "<domain type='kvm'><name>vm</name><devices>" + devices + "</devices></domain>";
    }
}
