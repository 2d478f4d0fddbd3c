package org.gpupass.bus;

import java.util.Set;

/** The freedesktop interfaces every object answers, which have no properties. */
final class Standard {
    private static final Set<String> INTERFACES = Set.of("org.freedesktop.DBus.Properties",
            "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Peer");

    private Standard() {
    }

    static boolean isStandard(String interfaceName) {
        return INTERFACES.contains(interfaceName);
    }
}
