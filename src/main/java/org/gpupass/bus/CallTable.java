package org.gpupass.bus;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.freedesktop.dbus.Marshalling;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Introspectable;
import org.freedesktop.dbus.interfaces.Peer;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.MethodCall;
import org.gpupass.bus.wire.HeaderFields;
import org.gpupass.bus.wire.MessageLimits;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.model.Printable;
import org.gpupass1.Gpu;
import org.gpupass1.Manager;

/**
 * What the daemon's objects answer, from their Java interfaces: for each call to one of them, whether it
 * moves GPUs (then the daemon's own {@link Mutations} takes it), names a method, interface or arguments
 * that are not there (answered with the standard error at once), or goes on to dbus-java. dbus-java
 * 5.2.0 matches a method by name and signature only, ignoring the interface, and calls a wrong signature
 * an unknown method; this table follows the D-Bus specification instead. It also says how large each
 * call's arguments may be ({@link MessageLimits}), before the reader takes them in.
 */
final class CallTable implements MessageLimits {
    /** The arguments of every call but ClaimDomain: addresses, holders, property names. */
    static final int ARGUMENTS = 4096;
    /** ClaimDomain: the domain name and its XML, which may be {@link DomainXml#MAX_BYTES}. */
    static final long DOMAIN_ARGUMENTS = DomainXml.MAX_BYTES + ARGUMENTS;
    /** Signals the daemon listens to (the bus's name signals) and replies it waits for (uids, polkit). */
    static final int SIGNALS = 4096;
    static final int REPLIES = MessageLimits.SMALL;
    private static final Set<String> MUTATING = Set.of("Claim", "Release", "ClaimDomain", "ReleaseDomain");
    private static final List<Class<? extends DBusInterface>> STANDARD = List.of(Properties.class,
            Introspectable.class, Peer.class);

    /** How a call is to be handled. */
    sealed interface Verdict {
    }

    /** Not one of ours to decide (another path, or a read): dbus-java handles it. */
    record Pass() implements Verdict {
    }

    /** Answer with this standard error, change nothing. */
    record Refuse(String error, String message) implements Verdict {
    }

    /** A call that moves GPUs: {@code member} of {@code iface}. */
    record Mutate(String iface, String member) implements Verdict {
    }

    private static final Pass PASS = new Pass();

    /** interface name → member → signature, per kind of object, in the order dbus-java looks them up. */
    private final Map<String, Map<String, String>> manager = members(Manager.class);
    private final Map<String, Map<String, String>> gpu = members(Gpu.class);

    @Override
    public long maxBody(HeaderFields header) {
        if (header.isMethodCall()) {
            boolean domain = "ClaimDomain".equals(header.member())
                    && (header.iface() == null || BusNames.MANAGER_INTERFACE.equals(header.iface()));
            return domain ? DOMAIN_ARGUMENTS : ARGUMENTS;
        }
        return header.isSignal() ? SIGNALS : REPLIES;
    }

    /**
     * @param gpuObject whether {@code call}'s path is an exported GPU object
     */
    Verdict classify(MethodCall call, boolean gpuObject) {
        Map<String, Map<String, String>> object = BusNames.MANAGER_PATH.equals(call.getPath()) ? manager
                : gpuObject ? gpu : null;
        if (object == null) {
            return PASS;
        }
        String iface = call.getInterface();
        String member = call.getName();
        String signature = call.getSig() == null ? "" : call.getSig();
        Map<String, String> members;
        if (iface != null) {
            members = object.get(iface);
            if (members == null) {
                return new Refuse("org.freedesktop.DBus.Error.UnknownInterface", "No interface "
                        + Printable.clip(iface) + " on object " + call.getPath());
            }
        } else {
            members = object.values().stream().filter(m -> m.containsKey(member)).findFirst().orElse(Map.of());
            iface = object.entrySet().stream().filter(e -> e.getValue() == members).map(Map.Entry::getKey)
                    .findFirst().orElse("");
        }
        String wanted = members.get(member);
        if (wanted == null) {
            return new Refuse("org.freedesktop.DBus.Error.UnknownMethod", "No method " + Printable.clip(member)
                    + (iface.isEmpty() ? "" : " in interface " + iface) + " on object " + call.getPath());
        }
        if (!wanted.equals(signature)) {
            return new Refuse("org.freedesktop.DBus.Error.InvalidArgs", iface + "." + member + " takes arguments ("
                    + wanted + "), not (" + Printable.clip(signature) + ")");
        }
        boolean ours = iface.equals(BusNames.MANAGER_INTERFACE) || iface.equals(BusNames.GPU_INTERFACE);
        return ours && MUTATING.contains(member) ? new Mutate(iface, member) : PASS;
    }

    private static Map<String, Map<String, String>> members(Class<? extends DBusInterface> own) {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        all.put(name(own), signatures(own));
        for (Class<? extends DBusInterface> standard : STANDARD) {
            all.put(name(standard), signatures(standard));
        }
        return all;
    }

    private static String name(Class<?> iface) {
        DBusInterfaceName named = iface.getAnnotation(DBusInterfaceName.class);
        return named != null ? named.value() : iface.getName();
    }

    /** The D-Bus signature of each method an interface declares, as dbus-java marshals its parameters. */
    private static Map<String, String> signatures(Class<?> iface) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Method m : iface.getDeclaredMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault() || m.isSynthetic()) {
                continue;
            }
            try {
                out.put(m.getName(), Marshalling.getDBusType(m.getGenericParameterTypes()));
            } catch (DBusException e) {
                throw new IllegalStateException("no D-Bus signature for " + iface.getName() + "." + m.getName(), e);
            }
        }
        return out;
    }
}
