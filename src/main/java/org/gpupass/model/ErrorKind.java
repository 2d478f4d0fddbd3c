package org.gpupass.model;

/**
 * Every refusal or failure a caller can see is one of these. Their D-Bus error names are the bus
 * layer's ({@code org.gpupass1.Error.nameOf}); here each has only its short name.
 */
public enum ErrorKind {
    INVALID_ARGUMENT("InvalidArgument"),
    NO_SUCH_DEVICE("NoSuchDevice"),
    AMBIGUOUS("Ambiguous"),
    ALREADY_CLAIMED("AlreadyClaimed"),
    NOT_HOLDER("NotHolder"),
    IOMMU_DISABLED("IommuDisabled"),
    IOMMU_GROUP_UNSAFE("IommuGroupUnsafe"),
    BOOT_DISPLAY("BootDisplay"),
    IN_USE("InUse"),
    MANAGED_HOSTDEV("ManagedHostdev"),
    BUSY("Busy"),
    STUCK("Stuck"),
    TRANSITION_FAILED("TransitionFailed"),
    ACCESS_DENIED("AccessDenied");

    private final String shortName;

    ErrorKind(String shortName) {
        this.shortName = shortName;
    }

    /** e.g. {@code InUse}: the last part of the D-Bus error name, and how logs and the CLI name it. */
    public String shortName() {
        return shortName;
    }
}
