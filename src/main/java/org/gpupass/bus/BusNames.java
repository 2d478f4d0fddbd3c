package org.gpupass.bus;

/** The fixed names of the D-Bus contract, in one place. */
public final class BusNames {
    public static final String BUS_NAME = "org.gpupass1";
    public static final String MANAGER_PATH = "/org/gpupass1";
    public static final String GPU_PATH_PREFIX = "/org/gpupass1/gpu/";
    public static final String MANAGER_INTERFACE = "org.gpupass1.Manager";
    public static final String GPU_INTERFACE = "org.gpupass1.Gpu";
    public static final String PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties";
    /** The polkit action that allows Claim, Release, ClaimDomain and ReleaseDomain. */
    public static final String MANAGE_ACTION = "org.gpupass1.manage";

    private BusNames() {
    }

    /** The object path of a GPU: {@code /org/gpupass1/gpu/pci_0000_01_00_0}, libvirt's nodedev spelling. */
    public static String gpuPath(org.gpupass.model.PciAddress gpu) {
        return GPU_PATH_PREFIX + gpu.nodedevName();
    }
}
