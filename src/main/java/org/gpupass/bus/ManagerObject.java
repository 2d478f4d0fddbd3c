package org.gpupass.bus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.bus.wire.FastReplies;
import org.gpupass.core.GpuService;
import org.gpupass.core.GpuStatus;
import org.gpupass.core.TransitionPreview;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.Printable;
import org.gpupass.plan.Intent;
import org.gpupass1.Error;
import org.gpupass1.Manager;

/**
 * {@code /org/gpupass1}: the manager interface and its properties, over the core. Its methods that move
 * GPUs reach the core through {@link Mutations}, which takes them from the reader; dbus-java never calls
 * the Java methods of that name.
 */
final class ManagerObject extends ReadOnlyProperties implements Manager {
    /** The manager's property names, in spec order. */
    static final List<String> NAMES = List.of("Version", "Gpus", "Transition");
    static final String STATUS_SIGNATURE = "aa{sv}";

    private final GpuService service;

    ManagerObject(GpuService service) {
        super(BusNames.MANAGER_INTERFACE, BusNames.MANAGER_PATH);
        this.service = service;
    }

    /** The core call a method that moves GPUs stands for (see {@link Mutations.Mutable}). */
    Mutations.Mutation mutation(String member, Object[] args) {
        return switch (member) {
            case "Claim" -> new Mutations.Mutation("claim " + describe((String) args[0]), "o",
                    () -> path(service.claim((String) args[0], (String) args[1])));
            case "Release" -> new Mutations.Mutation("release " + describe((String) args[0]), "",
                    () -> service.release((String) args[0], (String) args[1]));
            case "ClaimDomain" -> new Mutations.Mutation("claim the GPUs of domain " + Printable.clip((String) args[0]),
                    "ao", () -> paths(service.claimDomain((String) args[0], (String) args[1])));
            case "ReleaseDomain" -> new Mutations.Mutation("release the GPUs of domain "
                    + Printable.clip((String) args[0]), "ao", () -> paths(service.releaseDomain((String) args[0])));
            default -> throw new IllegalArgumentException("not a method that moves GPUs: " + member);
        };
    }

    @Override
    public DBusPath Claim(String device, String holder) {
        throw Mutations.notHere("Claim");
    }

    @Override
    public void Release(String device, String holder) {
        throw Mutations.notHere("Release");
    }

    /**
     * The last Status reply, as variants and marshalled, and the snapshot it was made from: building
     * them is the costly part, and the GPUs change rarely.
     */
    private record StatusReply(List<GpuStatus> gpus, List<Map<String, Variant<?>>> reply, byte[] body) {
    }

    private volatile StatusReply lastStatus;

    @Override
    public List<Map<String, Variant<?>>> Status() {
        return statusReply().reply();
    }

    /** The body of a Status reply, for {@link org.gpupass.bus.wire.FastReplies}. */
    byte[] statusBody() {
        return statusReply().body();
    }

    private StatusReply statusReply() {
        List<GpuStatus> gpus = service.gpus();
        StatusReply last = lastStatus;
        if (last == null || !last.gpus().equals(gpus)) {
            List<Map<String, Variant<?>>> reply = gpus.stream().map(GpuProperties::of).toList();
            try {
                last = new StatusReply(gpus, reply, FastReplies.marshal(STATUS_SIGNATURE, reply));
            } catch (DBusException e) {
                throw new IllegalStateException("cannot marshal the Status reply", e);
            }
            lastStatus = last;
        }
        return last;
    }

    /** Read-only and open to everyone, like Status: it changes nothing. */
    @Override
    public Map<String, Variant<?>> Plan(String operation, String device, String holder) {
        Intent.Operation op = Intent.Operation.of(operation);
        if (op == null) {
            throw new Error.InvalidArgument("operation must be 'claim' or 'release', got '"
                    + Printable.clip(operation) + "'");
        }
        try {
            TransitionPreview p = service.preview(op, device, holder);
            Map<String, Variant<?>> plan = new LinkedHashMap<>();
            plan.put("gpu", new Variant<>(p.gpu().toString()));
            plan.put("outcome", new Variant<>(p.outcome()));
            plan.put("steps", new Variant<>(p.steps(), "as"));
            return plan;
        } catch (GpuPassException e) {
            throw Error.of(e);
        }
    }

    @Override
    public List<DBusPath> ClaimDomain(String domain, String domainXml) {
        throw Mutations.notHere("ClaimDomain");
    }

    @Override
    public List<DBusPath> ReleaseDomain(String domain) {
        throw Mutations.notHere("ReleaseDomain");
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
        return new DBusPath(BusNames.gpuPath(gpu.address()));
    }

    static List<DBusPath> paths(List<GpuStatus> gpus) {
        return gpus.stream().map(ManagerObject::path).toList();
    }

    private static String describe(String device) {
        return device == null || device.isEmpty() ? "the claimable GPU" : Printable.clip(device);
    }
}
