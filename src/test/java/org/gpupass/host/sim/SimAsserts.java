package org.gpupass.host.sim;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.junit.jupiter.api.function.Executable;

/** Small helpers shared by the simulated-kernel tests. */
final class SimAsserts {
    static final PciAddress ROOT_PORT = a("0000:00:01.0");
    static final PciAddress IGPU = a("0000:00:02.0");
    static final PciAddress SATA = a("0000:00:17.0");
    static final PciAddress GPU = a("0000:01:00.0");
    static final PciAddress AUDIO = a("0000:01:00.1");

    private SimAsserts() {
    }

    static PciAddress a(String text) {
        return PciAddress.tryParse(text);
    }

    static SimulatedKernel dualGpu() {
        try {
            return SimulatedKernel.builtIn("dual-gpu");
        } catch (HostFileException e) {
            throw new AssertionError(e);
        }
    }

    /** The errno the call is refused with. */
    static Errno errno(Executable call) {
        return assertThrows(KernelWriteException.class, call).errno();
    }

    static PciDevice dev(SimulatedKernel k, PciAddress address) {
        return read(() -> k.pci().devices()).stream().filter(d -> d.address().equals(address)).findFirst().orElse(null);
    }

    /** A read of the simulated kernel, which never fails: its ports declare IOException for the real side's sake. */
    static <T> T read(java.util.concurrent.Callable<T> read) {
        try {
            return read.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The function's driver from the full scan, checked against the one-function read (driverOf). */
    static String driver(SimulatedKernel k, PciAddress address) {
        PciDevice d = dev(k, address);
        String driver = d == null ? null : d.driver();
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Optional.ofNullable(driver), read(() -> k.pci().driverOf(address)),
                "driverOf " + address);
        return driver;
    }
}
