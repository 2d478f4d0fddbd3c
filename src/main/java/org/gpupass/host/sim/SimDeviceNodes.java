package org.gpupass.host.sim;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.gpupass.model.PciAddress;
import org.gpupass.host.DeviceNodes;
import org.gpupass.host.NodeHolder;

/** /dev as the simulated kernel has it: the devices' own nodes, the modules' driver-wide ones, /dev/vfio/GROUP. */
final class SimDeviceNodes implements DeviceNodes {
    private final SimParts parts;

    SimDeviceNodes(SimParts parts) {
        this.parts = parts;
    }

    @Override
    public List<String> nodesOf(PciAddress function) {
        synchronized (parts.writes.lock) {
            SimPciBus.Device d = parts.pci.device(function);
            return d == null ? List.of() : parts.pci.nodesOf(d).stream().map(SimPciBus.Node::path).toList();
        }
    }

    @Override
    public List<NodeHolder> holders(Collection<String> nodes) {
        synchronized (parts.writes.lock) {
            return parts.processes.holders(nodes);
        }
    }

    @Override
    public boolean exists(String devPath) {
        synchronized (parts.writes.lock) {
            return all().containsKey(devPath);
        }
    }

    @Override
    public boolean awaitPath(String devPath, Duration timeout) throws InterruptedException {
        return parts.writes.await(() -> all().containsKey(devPath), timeout);
    }

    /** Every node under /dev now, each with the module that owns it (lock held). */
    Map<String, String> all() {
        Map<String, String> out = new HashMap<>(parts.modules.devNodes());
        for (SimPciBus.Device d : parts.pci.all()) {
            parts.pci.nodesOf(d).forEach(n -> out.put(n.path(), n.module()));
            String vfio = parts.pci.vfioNode(d);
            if (vfio != null) {
                out.put(vfio, "vfio");
            }
        }
        return out;
    }
}
