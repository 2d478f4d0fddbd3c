package org.gpupass1;

import java.util.List;
import org.freedesktop.dbus.TypeRef;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt64;

/**
 * {@code org.gpupass1.Gpu}, one object per GPU at {@code /org/gpupass1/gpu/pci_DDDD_BB_SS_F}; documented
 * in {@code org/gpupass1/org.gpupass1.Gpu.xml}.
 */
@DBusProperty(name = "Address", type = String.class, access = Access.READ)
@DBusProperty(name = "Name", type = String.class, access = Access.READ)
@DBusProperty(name = "VendorId", type = UInt16.class, access = Access.READ)
@DBusProperty(name = "DeviceId", type = UInt16.class, access = Access.READ)
@DBusProperty(name = "State", type = String.class, access = Access.READ)
@DBusProperty(name = "Driver", type = String.class, access = Access.READ)
@DBusProperty(name = "HostDriver", type = String.class, access = Access.READ)
@DBusProperty(name = "Functions", type = Gpu.StringList.class, access = Access.READ)
@DBusProperty(name = "IommuGroup", type = Integer.class, access = Access.READ)
@DBusProperty(name = "BootVga", type = Boolean.class, access = Access.READ)
@DBusProperty(name = "Claimable", type = Boolean.class, access = Access.READ)
@DBusProperty(name = "Blockers", type = Gpu.StringList.class, access = Access.READ)
@DBusProperty(name = "Holder", type = String.class, access = Access.READ)
@DBusProperty(name = "Since", type = UInt64.class, access = Access.READ)
@DBusProperty(name = "LastError", type = String.class, access = Access.READ)
@SuppressWarnings("checkstyle:methodname")
public interface Gpu extends DBusInterface {

    /** The manager's Claim for this GPU. */
    void Claim(String holder) throws Error.InvalidArgument, Error.NoSuchDevice, Error.AlreadyClaimed,
            Error.IommuDisabled, Error.IommuGroupUnsafe, Error.BootDisplay, Error.InUse, Error.Busy,
            Error.Stuck, Error.TransitionFailed, org.freedesktop.DBus.Error.AccessDenied;

    /** The manager's Release for this GPU. */
    void Release(String holder) throws Error.InvalidArgument, Error.NoSuchDevice, Error.NotHolder,
            Error.Busy, Error.Stuck, Error.TransitionFailed, org.freedesktop.DBus.Error.AccessDenied;

    /** {@code as}, for the declared types of {@code Functions} and {@code Blockers}. */
    interface StringList extends TypeRef<List<String>> {
    }
}
