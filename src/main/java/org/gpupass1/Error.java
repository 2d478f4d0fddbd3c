package org.gpupass1;

import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;

/**
 * The spec's error replies. dbus-java names an error after its class, with {@code $} as {@code .}:
 * {@code org.gpupass1.Error$InUse} goes on the wire as {@code org.gpupass1.Error.InUse}.
 */
public final class Error {
    private Error() {
    }

    /** The wire exception for a core refusal or failure, carrying its message. */
    public static DBusExecutionException of(GpuPassException e) {
        String m = e.getMessage();
        return switch (e.kind()) {
            case INVALID_ARGUMENT -> new InvalidArgument(m);
            case NO_SUCH_DEVICE -> new NoSuchDevice(m);
            case AMBIGUOUS -> new Ambiguous(m);
            case ALREADY_CLAIMED -> new AlreadyClaimed(m);
            case NOT_HOLDER -> new NotHolder(m);
            case IOMMU_DISABLED -> new IommuDisabled(m);
            case IOMMU_GROUP_UNSAFE -> new IommuGroupUnsafe(m);
            case BOOT_DISPLAY -> new BootDisplay(m);
            case IN_USE -> new InUse(m);
            case MANAGED_HOSTDEV -> new ManagedHostdev(m);
            case BUSY -> new Busy(m);
            case STUCK -> new Stuck(m);
            case TRANSITION_FAILED -> new TransitionFailed(m);
            case ACCESS_DENIED -> new org.freedesktop.DBus.Error.AccessDenied(m);
        };
    }

    /** The D-Bus error name a wire exception travels under. */
    public static String nameOf(Class<?> type) {
        String name = type.getName().replace('$', '.');
        return name.startsWith("org.freedesktop.dbus.errors.")
                ? "org.freedesktop.DBus.Error." + type.getSimpleName() : name;
    }

    /** The D-Bus error name of a core kind: {@code org.gpupass1.Error.InUse}, or the standard AccessDenied. */
    public static String nameOf(ErrorKind kind) {
        return kind == ErrorKind.ACCESS_DENIED ? "org.freedesktop.DBus.Error.AccessDenied"
                : "org.gpupass1.Error." + kind.shortName();
    }

    /** The core's kind for a D-Bus error name, or null when the name is not one of the spec's. */
    public static ErrorKind kindOf(String dbusName) {
        for (ErrorKind k : ErrorKind.values()) {
            if (nameOf(k).equals(dbusName)) {
                return k;
            }
        }
        return null;
    }

    /** Malformed address, holder or XML. */
    public static final class InvalidArgument extends DBusExecutionException {
        public InvalidArgument(String message) {
            super(message);
        }
    }

    /** No such PCI device, or not a GPU/function the daemon manages. */
    public static final class NoSuchDevice extends DBusExecutionException {
        public NoSuchDevice(String message) {
            super(message);
        }
    }

    /** {@code ""} given and several GPUs are claimable. */
    public static final class Ambiguous extends DBusExecutionException {
        public Ambiguous(String message) {
            super(message);
        }
    }

    /** Held by another holder. */
    public static final class AlreadyClaimed extends DBusExecutionException {
        public AlreadyClaimed(String message) {
            super(message);
        }
    }

    /** Release by a holder that does not hold it. */
    public static final class NotHolder extends DBusExecutionException {
        public NotHolder(String message) {
            super(message);
        }
    }

    /** No IOMMU groups. */
    public static final class IommuDisabled extends DBusExecutionException {
        public IommuDisabled(String message) {
            super(message);
        }
    }

    /** The IOMMU group holds devices that are not the GPU's functions. */
    public static final class IommuGroupUnsafe extends DBusExecutionException {
        public IommuGroupUnsafe(String message) {
            super(message);
        }
    }

    /** The GPU drives the host's only display and the configuration does not allow handing it over. */
    public static final class BootDisplay extends DBusExecutionException {
        public BootDisplay(String message) {
            super(message);
        }
    }

    /** Processes hold the GPU's device nodes. */
    public static final class InUse extends DBusExecutionException {
        public InUse(String message) {
            super(message);
        }
    }

    /** Domain XML has {@code managed='yes'} on a GPU function. */
    public static final class ManagedHostdev extends DBusExecutionException {
        public ManagedHostdev(String message) {
            super(message);
        }
    }

    /** The transition lock could not be had in time. */
    public static final class Busy extends DBusExecutionException {
        public Busy(String message) {
            super(message);
        }
    }

    /** A kernel write hung; the GPU is in state {@code stuck}. */
    public static final class Stuck extends DBusExecutionException {
        public Stuck(String message) {
            super(message);
        }
    }

    /** The kernel refused a step; rolled back. */
    public static final class TransitionFailed extends DBusExecutionException {
        public TransitionFailed(String message) {
            super(message);
        }
    }
}
