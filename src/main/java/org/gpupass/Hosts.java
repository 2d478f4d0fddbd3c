package org.gpupass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.gpupass.host.Errno;
import org.gpupass.host.Host;
import org.gpupass.bus.wire.DaemonWire;
import org.gpupass.host.linux.LinuxHost;
import org.gpupass.host.linux.SystemBusUnits;
import org.gpupass.host.sim.HostFileException;
import org.gpupass.host.sim.SimulatedKernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the host port from the command line: the kernel under a root, or a simulated host. */
final class Hosts {
    private static final Logger LOG = LoggerFactory.getLogger(Hosts.class);
    /** How long a systemd job (stopping a display manager) may take. */
    private static final Duration UNIT_JOB_TIMEOUT = Duration.ofSeconds(120);
    /**
     * Test-only fault injection for simulated hosts, e.g. {@code hang:BIND:0000:01:00.0} or
     * {@code fail:UNBIND:0000:01:00.1:EBUSY}, comma-separated. Ignored without --simulate.
     */
    static final String FAULTS_VARIABLE = "GPUPASSD_SIM_FAULTS";

    private Hosts() {
    }

    static Host real(Path sysfsRoot) {
        return LinuxHost.at(sysfsRoot, new SystemBusUnits(UNIT_JOB_TIMEOUT, DaemonWire::systemBus));
    }

    /** {@code ""} or a built-in name, else a host file. */
    static SimulatedKernel simulated(String nameOrFile) throws IOException, HostFileException {
        String name = nameOrFile.isEmpty() ? SimulatedKernel.DEFAULT_HOST : nameOrFile;
        SimulatedKernel sim = SimulatedKernel.builtInNames().contains(name) ? SimulatedKernel.builtIn(name)
                : SimulatedKernel.fromFile(Path.of(name));
        String faults = System.getenv(FAULTS_VARIABLE);
        if (faults != null && !faults.isBlank()) {
            applyFaults(sim, faults);
        }
        return sim;
    }

    static void applyFaults(SimulatedKernel sim, String spec) {
        for (String fault : spec.split(",")) {
            String[] part = fault.trim().split(":", 3);
            if (part.length < 3) {
                throw new IllegalArgumentException(FAULTS_VARIABLE + ": expected hang:OP:TARGET or fail:OP:TARGET:ERRNO, got "
                        + fault);
            }
            SimulatedKernel.Op op = SimulatedKernel.Op.valueOf(part[1]);
            if (part[0].equals("hang")) {
                sim.hangOn(op, part[2]);
            } else if (part[0].equals("fail")) {
                int last = part[2].lastIndexOf(':');
                sim.failOn(op, part[2].substring(0, last), Errno.valueOf(part[2].substring(last + 1)));
            } else {
                throw new IllegalArgumentException(FAULTS_VARIABLE + ": unknown fault kind " + part[0]);
            }
            LOG.warn("Simulated host: injected fault {}", fault.trim());
        }
    }

    /** A fresh state directory for a simulated run: under $XDG_RUNTIME_DIR when set, else the temp dir. */
    static Path simulatedStateDir() throws IOException {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime)
                : Path.of(System.getProperty("java.io.tmpdir"));
        return Files.createTempDirectory(base, "gpupassd-sim-");
    }
}
