package org.gpupass.host.sim;

import java.util.List;

/**
 * A kernel module the simulated kernel can load.
 *
 * @param deps     modules it needs, loaded first
 * @param builtin  built into the kernel: always there, never in {@code /proc/modules}, cannot be unloaded
 * @param pins     an open file on one of its nodes holds a reference on it (true for every real driver module)
 * @param devNodes driver-wide nodes that exist while it is loaded, e.g. {@code /dev/nvidiactl}
 */
record ModuleSpec(String name, List<String> deps, boolean builtin, boolean pins, List<String> devNodes) {
    ModuleSpec {
        deps = List.copyOf(deps);
        devNodes = List.copyOf(devNodes);
    }
}
