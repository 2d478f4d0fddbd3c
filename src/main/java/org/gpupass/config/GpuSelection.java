package org.gpupass.config;

import java.util.List;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/**
 * Which GPUs the daemon manages ({@code manage}): all of them, or those an entry names by address
 * or by vendor and device id.
 */
public record GpuSelection(List<Entry> entries) {
    /** {@code manage = all}. */
    public static final GpuSelection ALL = new GpuSelection(List.of());

    /** One entry: an address, or a vendor with a device ({@code -1} = any device of the vendor). */
    public record Entry(PciAddress address, int vendor, int device) {
        boolean matches(PciDevice gpu) {
            if (address != null) {
                return address.equals(gpu.address());
            }
            return gpu.vendorId() == vendor && (device < 0 || gpu.deviceId() == device);
        }

        @Override
        public String toString() {
            return address != null ? address.toString()
                    : String.format("%04x:%s", vendor, device < 0 ? "*" : String.format("%04x", device));
        }
    }

    public GpuSelection {
        entries = List.copyOf(entries);
    }

    public boolean includes(PciDevice gpu) {
        return entries.isEmpty() || entries.stream().anyMatch(e -> e.matches(gpu));
    }

    /** As the file spells it: {@code all}, or the entries separated by spaces. */
    @Override
    public String toString() {
        if (entries.isEmpty()) {
            return "all";
        }
        return String.join(" ", entries.stream().map(Entry::toString).toList());
    }
}
