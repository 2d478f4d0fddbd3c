package org.gpupass.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A PCI function address, {@code DDDD:BB:SS.F}. */
public record PciAddress(int domain, int bus, int slot, int function) implements Comparable<PciAddress> {
    private static final Pattern FORM =
            Pattern.compile("(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\\.([0-7])");

    public PciAddress {
        if (domain < 0 || domain > 0xffff || bus < 0 || bus > 0xff || slot < 0 || slot > 0x1f
                || function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI address out of range");
        }
    }

    /** Parses {@code 0000:01:00.0} or {@code 01:00.0}; anything else is {@code InvalidArgument}. */
    public static PciAddress parse(String text) throws GpuPassException {
        PciAddress address = tryParse(text);
        if (address == null) {
            throw new GpuPassException(ErrorKind.INVALID_ARGUMENT,
                    "not a PCI address: '" + Printable.clip(text) + "' (expected DDDD:BB:SS.F or BB:SS.F, e.g. 0000:01:00.0)");
        }
        return address;
    }

    /** Parses a sysfs or user spelling, or returns null. */
    public static PciAddress tryParse(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            return null;
        }
        int slot = Integer.parseInt(m.group(3), 16);
        if (slot > 0x1f) {
            return null;
        }
        int domain = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
        return new PciAddress(domain, Integer.parseInt(m.group(2), 16), slot, Integer.parseInt(m.group(4)));
    }

    /** Same bus and slot: functions of one physical card. */
    public boolean sameSlot(PciAddress other) {
        return domain == other.domain && bus == other.bus && slot == other.slot;
    }

    /** libvirt's nodedev spelling, used in object paths: {@code pci_0000_01_00_0}. */
    public String nodedevName() {
        return String.format("pci_%04x_%02x_%02x_%d", domain, bus, slot, function);
    }

    /** Without the domain, for short human output: {@code 01:00.0}. */
    public String shortForm() {
        return String.format("%02x:%02x.%d", bus, slot, function);
    }

    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%d", domain, bus, slot, function);
    }

    @Override
    public int compareTo(PciAddress o) {
        int c = Integer.compare(domain, o.domain);
        if (c == 0) c = Integer.compare(bus, o.bus);
        if (c == 0) c = Integer.compare(slot, o.slot);
        if (c == 0) c = Integer.compare(function, o.function);
        return c;
    }
}
