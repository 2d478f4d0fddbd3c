package org.gpupass.bus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.GpuStatus;
import org.gpupass.model.PciAddress;

/** The {@code org.gpupass1.Gpu} properties of a {@link GpuStatus}, as D-Bus variants of the spec's types. */
public final class GpuProperties {
    /** The property names, in the order of the spec. */
    public static final List<String> NAMES = List.of("Address", "Name", "VendorId", "DeviceId", "State", "Driver",
            "HostDriver", "Functions", "IommuGroup", "BootVga", "Claimable", "Blockers", "Holder", "Since",
            "LastError");

    private GpuProperties() {
    }

    /** Every property, in spec order. */
    public static Map<String, Variant<?>> of(GpuStatus gpu) {
        Map<String, Variant<?>> all = new LinkedHashMap<>();
        for (String name : NAMES) {
            all.put(name, get(gpu, name));
        }
        return all;
    }

    /** One property, or null when there is no such property. */
    public static Variant<?> get(GpuStatus gpu, String name) {
        return switch (name) {
            case "Address" -> new Variant<>(gpu.address().toString());
            case "Name" -> new Variant<>(gpu.name());
            case "VendorId" -> new Variant<>(new UInt16(gpu.vendorId()));
            case "DeviceId" -> new Variant<>(new UInt16(gpu.deviceId()));
            case "State" -> new Variant<>(gpu.state().word());
            case "Driver" -> new Variant<>(gpu.driver());
            case "HostDriver" -> new Variant<>(gpu.hostDriver());
            case "Functions" -> new Variant<>(gpu.functions().stream().map(PciAddress::toString).toList(), "as");
            case "IommuGroup" -> new Variant<>(gpu.iommuGroup());
            case "BootVga" -> new Variant<>(gpu.bootVga());
            case "Claimable" -> new Variant<>(gpu.claimable());
            case "Blockers" -> new Variant<>(gpu.blockers(), "as");
            case "Holder" -> new Variant<>(gpu.holder());
            case "Since" -> new Variant<>(new UInt64(gpu.sinceMicros()));
            case "LastError" -> new Variant<>(gpu.lastError());
            default -> null;
        };
    }

    /** The properties whose values differ between two snapshots of one GPU, in spec order. */
    public static Map<String, Variant<?>> changed(GpuStatus before, GpuStatus after) {
        Map<String, Variant<?>> changed = new LinkedHashMap<>();
        for (String name : NAMES) {
            Variant<?> now = get(after, name);
            if (before == null || !Objects.equals(get(before, name).getValue(), now.getValue())) {
                changed.put(name, now);
            }
        }
        return changed;
    }
}
