package org.gpupass.host.linux;

import java.nio.file.Path;
import org.gpupass.host.Host;
import org.gpupass.host.UnitControl;

/**
 * The real host: sysfs, /dev and /proc read and written under a root directory ({@code /} on a real
 * machine, a directory tree in tests), systemd units through a {@link UnitControl}.
 *
 * <p>Module loading and unloading act on the running kernel whatever the root: only
 * {@code /proc/modules} and the drivers' {@code module} links are read under it.
 */
public final class LinuxHost {
    private LinuxHost() {
    }

    /**
     * @param root  where sysfs, /dev and /proc are found: {@code /} on a real host
     * @param units systemd unit control (the system bus in production)
     */
    public static Host at(Path root, UnitControl units) {
        SysfsTree tree = new SysfsTree(root);
        return new Host(new SysfsPciBus(tree), new SysfsDeviceNodes(tree), new ProcModules(tree), units,
                new SysfsConsoles(tree));
    }
}
