package org.gpupass.host.sim;

import java.util.List;
import java.util.Set;

/**
 * A PCI driver, registered while its module is loaded.
 *
 * @param matches              its ID table; empty = binds only through driver_override (vfio-pci)
 * @param nodes                the nodes it gives each bound device
 * @param drmVia               for {@link NodeKind#DRM}: the module that must be loaded for the DRM nodes to exist
 *                             and that owns them (nvidia_drm for nvidia); null = the driver's own module
 * @param unbindWaitsForClose  detaching it from a device whose nodes are open blocks until they are closed (nvidia)
 */
record DriverSpec(String name, String module, List<IdMatch> matches, Set<NodeKind> nodes, String drmVia,
                  boolean unbindWaitsForClose) {
    DriverSpec {
        matches = List.copyOf(matches);
        nodes = Set.copyOf(nodes);
    }

    boolean matchesIds(int vendor, int device, int classCode) {
        for (IdMatch m : matches) {
            if (m.matches(vendor, device, classCode)) {
                return true;
            }
        }
        return false;
    }
}
