package org.gpupass.host;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/** Loadable kernel modules: what is loaded, which module provides a PCI driver, modprobe and rmmod. */
public interface KernelModules {

    /** Loaded kernel modules by name, with use counts and the modules that use them. */
    Map<String, ModuleInfo> loaded() throws IOException;

    /** The module that provides a PCI driver (e.g. {@code bochs-drm} → {@code bochs}), if it is loaded. */
    Optional<String> moduleOfDriver(String driver) throws IOException;

    /** Loads a module (and its dependencies), like modprobe. */
    void load(String module) throws IOException;

    /** Unloads one module; EBUSY while it is used. */
    void unload(String module) throws IOException;
}
