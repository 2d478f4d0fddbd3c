package org.gpupass.core;

/** The spec's error names: every refusal or failure a caller can see is one of these. */
public enum ErrorKind {
    INVALID_ARGUMENT("org.gpupass1.Error.InvalidArgument"),
    NO_SUCH_DEVICE("org.gpupass1.Error.NoSuchDevice"),
    AMBIGUOUS("org.gpupass1.Error.Ambiguous"),
    ALREADY_CLAIMED("org.gpupass1.Error.AlreadyClaimed"),
    NOT_HOLDER("org.gpupass1.Error.NotHolder"),
    IOMMU_DISABLED("org.gpupass1.Error.IommuDisabled"),
    IOMMU_GROUP_UNSAFE("org.gpupass1.Error.IommuGroupUnsafe"),
    BOOT_DISPLAY("org.gpupass1.Error.BootDisplay"),
    IN_USE("org.gpupass1.Error.InUse"),
    MANAGED_HOSTDEV("org.gpupass1.Error.ManagedHostdev"),
    BUSY("org.gpupass1.Error.Busy"),
    STUCK("org.gpupass1.Error.Stuck"),
    TRANSITION_FAILED("org.gpupass1.Error.TransitionFailed"),
    ACCESS_DENIED("org.freedesktop.DBus.Error.AccessDenied");

    private final String dbusName;

    ErrorKind(String dbusName) {
        this.dbusName = dbusName;
    }

    /** The D-Bus error name callers match on. */
    public String dbusName() {
        return dbusName;
    }

    /** The last part of the D-Bus name, e.g. {@code InUse}. */
    public String shortName() {
        return dbusName.substring(dbusName.lastIndexOf('.') + 1);
    }
}
