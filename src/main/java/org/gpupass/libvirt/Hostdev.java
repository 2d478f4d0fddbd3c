package org.gpupass.libvirt;

import java.util.Objects;
import org.gpupass.model.PciAddress;

/**
 * A {@code <hostdev mode='subsystem' type='pci'>} of a libvirt domain XML.
 *
 * @param address the host PCI function from {@code <source><address .../></source>}
 * @param managed {@code managed='yes'}: libvirt itself detaches and reattaches the device; absent
 *                or {@code 'no'} is false (libvirt's default)
 */
public record Hostdev(PciAddress address, boolean managed) {
    public Hostdev {
        Objects.requireNonNull(address, "address");
    }
}
