package org.gpupass.host.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.gpupass.model.PciAddress;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.NodeHolder;
import org.gpupass.host.UnitControl;
import org.gpupass.host.sim.SimulatedKernel.Op;

/**
 * Processes and the device nodes they hold open, and the systemd units that start and stop them.
 * An open file keeps its reference on the node's module, and stays open (stale) when its node goes.
 */
final class SimProcesses implements UnitControl {

    private static final class OpenFile {
        final String node;
        final String module;
        /** The node is gone (driver unbound, device removed); the file stays open and keeps its reference. */
        boolean stale;

        OpenFile(String node, String module) {
            this.node = node;
            this.module = module;
        }
    }

    private record Proc(int pid, String command, int uid, String unit, List<OpenFile> files) {
    }

    private final SimParts parts;
    private final Map<Integer, Proc> processes = new TreeMap<>();
    /** Each unit's processes, as started by start(). */
    private final Map<String, List<ProcessTemplate>> unitSpecs = new LinkedHashMap<>();
    private final Set<String> activeUnits = new HashSet<>();
    private int nextPid = 1001;

    SimProcesses(SimParts parts) {
        this.parts = parts;
    }

    /** Construction: a unit as described, its processes running when it is active. */
    void addUnit(String name, List<ProcessTemplate> templates, boolean active) {
        unitSpecs.put(name, List.copyOf(templates));
        if (active) {
            activeUnits.add(name);
            templates.forEach(this::spawn);
        }
    }

    // ---- UnitControl

    @Override
    public boolean isActive(String unit) {
        synchronized (parts.writes.lock) {
            return activeUnits.contains(unit);
        }
    }

    /** Kills the unit's processes (their files close); a no-op when inactive; ENOENT for an unknown unit. */
    @Override
    public void stop(String unit) throws IOException {
        parts.writes.write(Op.STOP_UNIT, unit, "", "systemctl stop " + unit, () -> {
            unitOr(unit, "systemctl stop " + unit);
            activeUnits.remove(unit);
            processes.values().removeIf(p -> p.unit.equals(unit));
            return null;
        });
    }

    /** Spawns the unit's processes with fresh pids, opening the nodes their devices have now; no-op when active. */
    @Override
    public void start(String unit) throws IOException {
        parts.writes.write(Op.START_UNIT, unit, "", "systemctl start " + unit, () -> {
            List<ProcessTemplate> templates = unitOr(unit, "systemctl start " + unit);
            if (activeUnits.add(unit)) {
                templates.forEach(this::spawn);
            }
            return null;
        });
    }

    // ---- for the other models and the tests (lock held)

    /** Starts a process: {@code opens} are device addresses (all their nodes now) and /dev paths that exist. */
    int spawn(ProcessTemplate t) {
        Map<String, String> nodes = parts.nodes.all();
        List<OpenFile> files = new ArrayList<>();
        for (String what : t.opens()) {
            PciAddress a = PciAddress.tryParse(what);
            if (a != null) {
                SimPciBus.Device d = parts.pci.device(a);
                if (d != null) {
                    parts.pci.nodesOf(d).forEach(n -> files.add(new OpenFile(n.path(), n.module())));
                }
            } else if (nodes.containsKey(what)) {
                files.add(new OpenFile(what, nodes.get(what)));
            }
        }
        int pid = nextPid++;
        processes.put(pid, new Proc(pid, t.command(), t.uid(), t.unit(), files));
        return pid;
    }

    boolean kill(int pid) {
        return processes.remove(pid) != null;
    }

    /** The pids of a unit's running processes ({@code ""}: those outside any unit), ascending. */
    List<Integer> pidsOf(String unit) {
        return processes.values().stream().filter(p -> p.unit.equals(unit)).map(Proc::pid).toList();
    }

    /** Holders of any of these nodes (stale files hold no node), one entry per (process, node). */
    List<NodeHolder> holders(Collection<String> nodes) {
        Set<String> wanted = new HashSet<>(nodes);
        List<NodeHolder> out = new ArrayList<>();
        for (Proc p : processes.values()) {
            for (OpenFile f : p.files) {
                if (!f.stale && wanted.contains(f.node)) {
                    out.add(new NodeHolder(p.pid, p.command, p.uid, p.unit, f.node));
                }
            }
        }
        return out;
    }

    boolean openAnyOf(Set<String> nodes) {
        for (Proc p : processes.values()) {
            for (OpenFile f : p.files) {
                if (!f.stale && nodes.contains(f.node)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Open files (stale ones too) on the module's nodes: each holds a reference on it. */
    int openFilesOf(String module) {
        int count = 0;
        for (Proc p : processes.values()) {
            for (OpenFile f : p.files) {
                if (f.module.equals(module)) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Files whose node went away stay open, stale: a node that comes back later is another node. */
    void markStaleFiles(Map<String, String> nodesNow) {
        for (Proc p : processes.values()) {
            for (OpenFile f : p.files) {
                if (!nodesNow.containsKey(f.node)) {
                    f.stale = true;
                }
            }
        }
    }

    private List<ProcessTemplate> unitOr(String unit, String path) throws KernelWriteException {
        List<ProcessTemplate> u = unitSpecs.get(unit);
        if (u == null) {
            throw new KernelWriteException(path, Errno.ENOENT, "Unit " + unit + " not loaded.");
        }
        return u;
    }
}
