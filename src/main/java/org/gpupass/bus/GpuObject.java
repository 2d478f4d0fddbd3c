package org.gpupass.bus;

import java.util.Map;
import org.freedesktop.DBus.Error.UnknownObject;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.GpuService;
import org.gpupass.core.GpuStatus;
import org.gpupass.model.PciAddress;
import org.gpupass1.Gpu;

/** {@code /org/gpupass1/gpu/pci_…}: one GPU's properties, read from the core on every call. */
final class GpuObject extends ReadOnlyProperties implements Gpu {
    private final GpuService service;
    private final Mutations mutations;
    private final PciAddress address;

    GpuObject(GpuService service, Mutations mutations, GpuStatus gpu) {
        super(BusNames.GPU_INTERFACE, BusNames.gpuPath(gpu.address()));
        this.service = service;
        this.mutations = mutations;
        this.address = gpu.address();
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
    Variant<?> property(String name) {
        return GpuProperties.get(now(), name);
    }

    @Override
    Map<String, Variant<?>> properties() {
        return GpuProperties.of(now());
    }
}
