package org.gpupass.host.sim;

/**
 * The simulated kernel's models, for each other: the driver core unbinds a module's devices when
 * the module goes, a process pins the module of a node it holds open, nvidia's unbind waits for its
 * nodes to close. Each model is used under {@link SimWrites#lock} only; set once, by
 * {@link SimulatedKernel}'s constructor.
 */
final class SimParts {
    SimWrites writes;
    SimPciBus pci;
    SimModules modules;
    SimProcesses processes;
    SimDeviceNodes nodes;
    SimConsoles consoles;
}
