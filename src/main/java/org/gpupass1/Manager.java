package org.gpupass1;

import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.TypeRef;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.Variant;

/**
 * {@code org.gpupass1.Manager} on {@code /org/gpupass1}; documented in
 * {@code org/gpupass1/org.gpupass1.Manager.xml}. Properties are served by the object's own
 * {@code org.freedesktop.DBus.Properties} implementation.
 */
@DBusProperty(name = "Version", type = String.class, access = Access.READ)
@DBusProperty(name = "Gpus", type = Manager.PathList.class, access = Access.READ)
@DBusProperty(name = "Transition", type = String.class, access = Access.READ)
@SuppressWarnings("checkstyle:methodname")
public interface Manager extends DBusInterface {

    DBusPath Claim(String device, String holder) throws Error.InvalidArgument, Error.NoSuchDevice,
            Error.Ambiguous, Error.AlreadyClaimed, Error.IommuDisabled, Error.IommuGroupUnsafe,
            Error.BootDisplay, Error.InUse, Error.Busy, Error.Stuck, Error.TransitionFailed,
            org.freedesktop.DBus.Error.AccessDenied;

    void Release(String device, String holder) throws Error.InvalidArgument, Error.NoSuchDevice,
            Error.NotHolder, Error.Busy, Error.Stuck, Error.TransitionFailed,
            org.freedesktop.DBus.Error.AccessDenied;

    List<Map<String, Variant<?>>> Status();

    List<DBusPath> ClaimDomain(String domain, String domainXml) throws Error.InvalidArgument,
            Error.NoSuchDevice, Error.AlreadyClaimed, Error.IommuDisabled, Error.IommuGroupUnsafe,
            Error.BootDisplay, Error.InUse, Error.ManagedHostdev, Error.Busy, Error.Stuck,
            Error.TransitionFailed, org.freedesktop.DBus.Error.AccessDenied;

    List<DBusPath> ReleaseDomain(String domain) throws Error.InvalidArgument, Error.NotHolder, Error.Busy,
            Error.Stuck, Error.TransitionFailed, org.freedesktop.DBus.Error.AccessDenied;

    /**
     * What Claim ({@code operation "claim"}) or Release ({@code "release"}) with these arguments
     * would do now, without doing it: {@code a{sv}} with {@code gpu} (s), {@code outcome} (s:
     * {@code transition}, {@code none}, {@code adopt}, {@code forget}) and {@code steps} (as, in
     * order); refused with the error they would get. (A dict, not a struct or several out arguments:
     * dbus-java 5.2.0 introspects those wrongly.)
     */
    Map<String, Variant<?>> Plan(String operation, String device, String holder) throws Error.InvalidArgument,
            Error.NoSuchDevice, Error.Ambiguous, Error.AlreadyClaimed, Error.NotHolder, Error.IommuDisabled,
            Error.IommuGroupUnsafe, Error.BootDisplay, Error.InUse, Error.Stuck, Error.TransitionFailed;

    /** {@code ao}, for the {@code Gpus} property's declared type. */
    interface PathList extends TypeRef<List<DBusPath>> {
    }

    /** {@code StateChanged(o gpu, s address, s old_state, s new_state, s holder)}. */
    final class StateChanged extends DBusSignal {
        private final DBusPath gpu;
        private final String address;
        private final String oldState;
        private final String newState;
        private final String holder;

        public StateChanged(String path, DBusPath gpu, String address, String oldState, String newState,
                            String holder) throws DBusException {
            super(path, gpu, address, oldState, newState, holder);
            this.gpu = gpu;
            this.address = address;
            this.oldState = oldState;
            this.newState = newState;
            this.holder = holder;
        }

        public DBusPath gpu() {
            return gpu;
        }

        public String address() {
            return address;
        }

        public String oldState() {
            return oldState;
        }

        public String newState() {
            return newState;
        }

        public String holder() {
            return holder;
        }
    }

    /** {@code TransitionFailed(o gpu, s address, s error, s message)}. */
    final class TransitionFailed extends DBusSignal {
        private final DBusPath gpu;
        private final String address;
        private final String error;
        private final String message;

        public TransitionFailed(String path, DBusPath gpu, String address, String error, String message)
                throws DBusException {
            super(path, gpu, address, error, message);
            this.gpu = gpu;
            this.address = address;
            this.error = error;
            this.message = message;
        }

        public DBusPath gpu() {
            return gpu;
        }

        public String address() {
            return address;
        }

        public String error() {
            return error;
        }

        public String message() {
            return message;
        }
    }
}
