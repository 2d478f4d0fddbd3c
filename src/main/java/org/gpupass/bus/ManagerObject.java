package org.gpupass.bus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.GpuService;
import org.gpupass.core.GpuStatus;
import org.gpupass.core.Printable;
import org.gpupass1.Manager;

/** {@code /org/gpupass1}: the manager interface and its properties, over the core. */
final class ManagerObject extends ReadOnlyProperties implements Manager {
    /** The manager's property names, in spec order. */
    static final List<String> NAMES = List.of("Version", "Gpus", "Transition");

    private final GpuService service;
    private final Mutations mutations;

    ManagerObject(GpuService service, Mutations mutations) {
        super(BusNames.MANAGER_INTERFACE, BusNames.MANAGER_PATH);
        this.service = service;
        this.mutations = mutations;
    }

    @Override
    public DBusPath Claim(String device, String holder) {
        return mutations.run("claim " + describe(device), () -> path(service.claim(device, holder)));
    }

    @Override
    public void Release(String device, String holder) {
        mutations.run("release " + describe(device), () -> service.release(device, holder));
    }

    /** The last Status reply and the snapshot it was made from: building variants is the costly part. */
    private record StatusReply(List<GpuStatus> gpus, List<Map<String, Variant<?>>> reply) {
    }

    private volatile StatusReply lastStatus = new StatusReply(List.of(), List.of());

    @Override
    public List<Map<String, Variant<?>>> Status() {
        List<GpuStatus> gpus = service.gpus();
        StatusReply last = lastStatus;
        if (!last.gpus().equals(gpus)) {
            last = new StatusReply(gpus, gpus.stream().map(GpuProperties::of).toList());
            lastStatus = last;
        }
        return last.reply();
    }

    @Override
    public List<DBusPath> ClaimDomain(String domain, String domainXml) {
        return mutations.run("claim the GPUs of domain " + Printable.clip(domain),
                () -> paths(service.claimDomain(domain, domainXml)));
    }

    @Override
    public List<DBusPath> ReleaseDomain(String domain) {
        return mutations.run("release the GPUs of domain " + Printable.clip(domain),
                () -> paths(service.releaseDomain(domain)));
    }

    @Override
    Map<String, Variant<?>> properties() {
        Map<String, Variant<?>> all = new LinkedHashMap<>();
        for (String name : NAMES) {
            all.put(name, property(name));
        }
        return all;
    }

    @Override
    Variant<?> property(String name) {
        return switch (name) {
            case "Version" -> new Variant<>(service.version());
            case "Gpus" -> new Variant<>(paths(service.gpus()), "ao");
            case "Transition" -> new Variant<>(service.transition());
            default -> null;
        };
    }

    static DBusPath path(GpuStatus gpu) {
        return new DBusPath(gpu.objectPath());
    }

    static List<DBusPath> paths(List<GpuStatus> gpus) {
        return gpus.stream().map(ManagerObject::path).toList();
    }

    private static String describe(String device) {
        return device == null || device.isEmpty() ? "the claimable GPU" : Printable.clip(device);
    }
}
