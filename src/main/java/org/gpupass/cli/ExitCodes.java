package org.gpupass.cli;

import org.gpupass.model.ErrorKind;
import org.gpupass1.Error;

/**
 * gpupassctl's exit codes, as {@code gpupassctl --help} documents them: 0 done, 1 another failure,
 * 2 usage, 3..16 the spec's errors, 17 gpupassd is not running, 18 a GPU that cannot be claimed.
 */
final class ExitCodes {
    private ExitCodes() {
    }

    /** The documented exit code for a D-Bus error name. */
    static int of(String dbusName) {
        ErrorKind kind = Error.kindOf(dbusName);
        if (kind != null) {
            return of(kind);
        }
        return dbusName.endsWith(".ServiceUnknown") || dbusName.endsWith(".NameHasNoOwner") ? 17 : 1;
    }

    /** The documented exit code for one of the spec's errors (also when gpupassctl finds it itself). */
    static int of(ErrorKind kind) {
        return switch (kind) {
            case INVALID_ARGUMENT -> 3;
            case NO_SUCH_DEVICE -> 4;
            case AMBIGUOUS -> 5;
            case ALREADY_CLAIMED -> 6;
            case NOT_HOLDER -> 7;
            case IOMMU_DISABLED -> 8;
            case IOMMU_GROUP_UNSAFE -> 9;
            case BOOT_DISPLAY -> 10;
            case IN_USE -> 11;
            case MANAGED_HOSTDEV -> 12;
            case BUSY -> 13;
            case STUCK -> 14;
            case TRANSITION_FAILED -> 15;
            case ACCESS_DENIED -> 16;
        };
    }
}
