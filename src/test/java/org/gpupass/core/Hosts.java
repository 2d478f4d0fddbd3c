package org.gpupass.core;

import java.nio.file.Path;
import org.gpupass.config.Config;
import org.gpupass.config.ConfigException;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.state.StateStore;

/** Fixtures: simulated hosts and managers over them. */
public final class Hosts {
    public static final PciAddress NVIDIA = new PciAddress(0, 1, 0, 0);
    public static final PciAddress NVIDIA_AUDIO = new PciAddress(0, 1, 0, 1);
    public static final PciAddress INTEL = new PciAddress(0, 0, 2, 0);
    public static final PciAddress SATA = new PciAddress(0, 0, 0x17, 0);
    public static final PciAddress SECOND = new PciAddress(0, 2, 0, 0);
    public static final PciAddress SECOND_AUDIO = new PciAddress(0, 2, 0, 1);

    /** dual-gpu plus a second discrete card (AMD, group 3) on its own root port. */
    public static final String TWO_DISCRETE = """
            iommu on
            load i915 snd_hda_intel nvidia nvidia_modeset nvidia_drm nvidia_uvm amdgpu
            device 0000:00:01.0 8086:a70d class=0x060400 driver=pcieport group=1
            device 0000:00:02.0 8086:a780 class=0x030000 name="Intel UHD Graphics 770" driver=i915 group=2 boot_vga
            device 0000:00:03.0 8086:a70d class=0x060400 driver=pcieport group=3
            device 0000:01:00.0 10de:2705 class=0x030000 name="NVIDIA AD103" driver=nvidia group=1
            device 0000:01:00.1 10de:22bb class=0x040300 driver=snd_hda_intel group=1
            device 0000:02:00.0 1002:744c class=0x030000 name="AMD Navi 31" driver=amdgpu group=3
            device 0000:02:00.1 1002:ab30 class=0x040300 driver=snd_hda_intel group=3
            unit sddm.service active
            process Xorg uid=0 unit=sddm.service opens=0000:00:02.0
            """;

    private Hosts() {
    }

    public static SimulatedKernel builtIn(String name) {
        try {
            return SimulatedKernel.builtIn(name);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static SimulatedKernel parse(String text) {
        try {
            return SimulatedKernel.parse(text, "test");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Fast deadlines, except a short write deadline only where a test makes a write hang. */
    public static Config config(String text) {
        try {
            Config config = Config.parse(text, "test.conf");
            String[][] fast = {{"refresh_interval", "0"}, {"write_timeout", "5s"}, {"settle_timeout", "5s"},
                    {"lock_timeout", "2s"}};
            for (String[] kv : fast) {
                if (!text.contains(kv[0])) {
                    config = config.with(kv[0], kv[1]);
                }
            }
            return config;
        } catch (ConfigException e) {
            throw new AssertionError(e);
        }
    }

    static GpuManager manager(SimulatedKernel kernel, Path stateDir, Config config) {
        return manager(kernel, stateDir, config, (i, s) -> { });
    }

    static GpuManager manager(SimulatedKernel kernel, Path stateDir, Config config, Executor.StepObserver observer) {
        try {
            GpuManager m = new GpuManager(kernel.host(), config, new StateStore(stateDir), "test", observer);
            m.start();
            return m;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** What a claim leaves, or an operator does by hand: vfio_pci loaded, the functions moved to vfio-pci. */
    public static SimulatedKernel onVfio(SimulatedKernel kernel, PciAddress... functions) throws Exception {
        kernel.modules().load("vfio_pci");
        for (PciAddress fn : functions) {
            kernel.pci().setDriverOverride(fn, "vfio-pci");
            kernel.pci().unbind(fn, device(kernel, fn).driver());
            kernel.pci().driversProbe(fn);
        }
        return kernel;
    }

    /** What an operator does by hand to give functions back to their host drivers (outside gpupassd). */
    public static void rebindToHostDrivers(SimulatedKernel kernel, PciAddress... functions) throws Exception {
        for (PciAddress fn : functions) {
            kernel.pci().setDriverOverride(fn, "");
            kernel.pci().unbind(fn, "vfio-pci");
            kernel.pci().driversProbe(fn);
        }
    }

    public static PciDevice device(SimulatedKernel kernel, PciAddress address) {
        try {
            return kernel.pci().devices().stream().filter(d -> d.address().equals(address)).findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    public static HostSnapshot snapshot(SimulatedKernel kernel, Config config) {
        try {
            return HostSnapshot.read(kernel.host(), config);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
