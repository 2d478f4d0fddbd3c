package org.gpupass.host.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelModules;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.ModuleInfo;
import org.gpupass.host.sim.SimulatedKernel.Op;

/**
 * Kernel modules: load order (drivers register, and are tried at probe, in it), dependencies, and
 * use counts from dependent modules, open device nodes and other kernel users.
 */
final class SimModules implements KernelModules {
    private final SimParts parts;
    private final Map<String, ModuleSpec> specs;
    private final Set<String> loaded = new LinkedHashSet<>();
    private final Map<String, Integer> extraUsers;

    SimModules(SimParts parts, Map<String, ModuleSpec> specs, Map<String, Integer> extraUsers) {
        this.parts = parts;
        this.specs = Map.copyOf(specs);
        this.extraUsers = new HashMap<>(extraUsers);
        specs.values().stream().filter(ModuleSpec::builtin).map(ModuleSpec::name).sorted().forEach(loaded::add);
    }

    // ---- KernelModules

    @Override
    public Map<String, ModuleInfo> loaded() {
        synchronized (parts.writes.lock) {
            Map<String, ModuleInfo> out = new TreeMap<>();
            for (String m : loaded) {
                if (!specs.get(m).builtin()) {
                    out.put(m, new ModuleInfo(m, useCount(m), usedBy(m)));
                }
            }
            return out;
        }
    }

    /** Empty when the driver's module is not loaded, and for built-in drivers (sysfs has no module link then). */
    @Override
    public Optional<String> moduleOfDriver(String driver) {
        synchronized (parts.writes.lock) {
            DriverSpec d = parts.pci.loadedDriver(driver);
            return d == null || specs.get(d.module()).builtin() ? Optional.empty() : Optional.of(d.module());
        }
    }

    /** Like modprobe: dependencies first; each new driver probes the unbound devices it matches. ENOENT when unknown. */
    @Override
    public void load(String module) throws IOException {
        parts.writes.write(Op.LOAD_MODULE, module, "", "modprobe " + module, () -> {
            if (!specs.containsKey(module)) {
                throw new KernelWriteException("modprobe " + module, Errno.ENOENT, "module " + module + " not found");
            }
            loadWithDeps(module, true);
            return null;
        });
    }

    /**
     * Like rmmod: ENOENT when not loaded and for built-in modules (delete_module finds no such module; kmod
     * says "Module X is builtin"), EBUSY while its use count is above 0; else its devices are unbound.
     */
    @Override
    public void unload(String module) throws IOException {
        String path = "rmmod " + module;
        parts.writes.write(Op.UNLOAD_MODULE, module, "", path, () -> {
            ModuleSpec spec = specs.get(module);
            if (spec != null && spec.builtin()) {
                throw new KernelWriteException(path, Errno.ENOENT, "module " + module + " is builtin");
            }
            if (spec == null || !loaded.contains(module)) {
                throw new KernelWriteException(path, Errno.ENOENT, "module " + module + " is not loaded");
            }
            int uses = useCount(module);
            if (uses > 0) {
                throw new KernelWriteException(path, Errno.EBUSY, "module " + module + " is in use (" + uses
                        + (usedBy(module).isEmpty() ? "" : ", by " + String.join(",", usedBy(module))) + ")");
            }
            parts.pci.unbindAllOf(module);
            loaded.remove(module);
            return null;
        });
    }

    // ---- for the other models and the tests (lock held)

    boolean isLoaded(String module) {
        return loaded.contains(module);
    }

    /** Loaded modules in load order. */
    Set<String> loadOrder() {
        return loaded;
    }

    /** Construction: loads a module and its dependencies without probing (the devices say where they are bound). */
    void loadQuietly(String module) {
        loadWithDeps(module, false);
    }

    /** Driver-wide nodes of the loaded modules (e.g. /dev/nvidiactl), each with its module. */
    Map<String, String> devNodes() {
        Map<String, String> out = new HashMap<>();
        for (String m : loaded) {
            specs.get(m).devNodes().forEach(n -> out.put(n, m));
        }
        return out;
    }

    void addUser(String module) {
        if (!loaded.contains(module)) {
            throw new IllegalArgumentException(module + " is not loaded");
        }
        extraUsers.merge(module, 1, Integer::sum);
    }

    void dropUser(String module) {
        if (extraUsers.getOrDefault(module, 0) == 0) {
            throw new IllegalArgumentException(module + " has no extra user");
        }
        extraUsers.merge(module, -1, Integer::sum);
    }

    private void loadWithDeps(String module, boolean probe) {
        if (loaded.contains(module)) {
            return;
        }
        ModuleSpec spec = specs.get(module);
        spec.deps().forEach(dep -> loadWithDeps(dep, probe));
        loaded.add(module);
        if (probe) {
            parts.pci.probeWithNewDrivers(module);
        }
    }

    private int useCount(String module) {
        int count = usedBy(module).size() + extraUsers.getOrDefault(module, 0);
        if (specs.get(module).pins()) {
            count += parts.processes.openFilesOf(module);
        }
        return count;
    }

    private List<String> usedBy(String module) {
        List<String> out = new ArrayList<>();
        for (String m : new TreeSet<>(loaded)) {
            if (specs.get(m).deps().contains(module)) {
                out.add(m);
            }
        }
        return out;
    }
}
