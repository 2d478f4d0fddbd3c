package org.gpupass.host;

import java.util.List;

/**
 * A loaded kernel module as {@code /proc/modules} shows it.
 *
 * @param useCount the kernel's reference count: the module cannot be unloaded while it is above 0
 * @param usedBy   loaded modules that depend on it
 */
public record ModuleInfo(String name, int useCount, List<String> usedBy) {
    public ModuleInfo {
        usedBy = List.copyOf(usedBy);
    }
}
