package org.gpupass.bus;

import java.util.Map;
import org.freedesktop.DBus.Error.PropertyReadOnly;
import org.freedesktop.DBus.Error.UnknownInterface;
import org.freedesktop.DBus.Error.UnknownObject;
import org.freedesktop.DBus.Error.UnknownProperty;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.GpuService;
import org.gpupass.core.GpuStatus;
import org.gpupass.core.PciAddress;
import org.gpupass.core.Printable;
import org.gpupass1.Gpu;

/** {@code /org/gpupass1/gpu/pci_…}: one GPU's properties, read from the core on every call. */
final class GpuObject implements Gpu, Properties {
    private final GpuService service;
    private final Mutations mutations;
    private final PciAddress address;
    private final String path;

    GpuObject(GpuService service, Mutations mutations, GpuStatus gpu) {
        this.service = service;
        this.mutations = mutations;
        this.address = gpu.address();
        this.path = gpu.objectPath();
    }

    @Override
    public String getObjectPath() {
        return path;
    }

    @Override
    public void Claim(String holder) {
        mutations.run("claim " + address, () -> service.claim(address.toString(), holder));
    }

    @Override
    public void Release(String holder) {
        mutations.run("release " + address, () -> service.release(address.toString(), holder));
    }

    private GpuStatus now() {
        return service.gpu(address).orElseThrow(() -> new UnknownObject("GPU " + address + " is gone"));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A> A Get(String interfaceName, String propertyName) {
        requireInterface(interfaceName);
        Variant<?> value = GpuProperties.get(now(), propertyName);
        if (value == null) {
            throw new UnknownProperty("No property " + Printable.clip(propertyName) + " on " + BusNames.GPU_INTERFACE);
        }
        return (A) value;
    }

    @Override
    public <A> void Set(String interfaceName, String propertyName, A value) {
        requireInterface(interfaceName);
        if (!GpuProperties.NAMES.contains(propertyName)) {
            throw new UnknownProperty("No property " + Printable.clip(propertyName) + " on " + BusNames.GPU_INTERFACE);
        }
        throw new PropertyReadOnly("Property " + propertyName + " is read-only");
    }

    @Override
    public Map<String, Variant<?>> GetAll(String interfaceName) {
        if (Standard.isStandard(interfaceName)) {
            return Map.of();
        }
        requireInterface(interfaceName);
        return GpuProperties.of(now());
    }

    private void requireInterface(String name) {
        if (!name.isEmpty() && !name.equals(BusNames.GPU_INTERFACE)) {
            throw new UnknownInterface("No interface " + Printable.clip(name) + " with properties on " + path);
        }
    }
}
