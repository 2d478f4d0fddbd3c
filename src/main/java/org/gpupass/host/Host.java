package org.gpupass.host;

import java.util.Objects;

/**
 * The daemon's ports to the host, one per kernel facility. The real side ({@code host.linux}) reads
 * and writes sysfs, /dev and /proc under a configurable root and asks systemd over D-Bus; the
 * simulated side ({@code host.sim}) keeps the kernel's rules in memory.
 */
public record Host(PciBus pci, DeviceNodes nodes, KernelModules modules, UnitControl units, Consoles consoles) {
    public Host {
        Objects.requireNonNull(pci, "pci");
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(modules, "modules");
        Objects.requireNonNull(units, "units");
        Objects.requireNonNull(consoles, "consoles");
    }
}
