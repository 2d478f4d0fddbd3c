package org.gpupass.bus;

import java.util.Map;
import org.freedesktop.DBus.Error.UnknownObject;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.GpuService;
import org.gpupass.core.GpuStatus;
import org.gpupass.model.PciAddress;
import org.gpupass1.Gpu;

/**
 * {@code /org/gpupass1/gpu/pci_…}: one GPU's properties, read from the core on every call. Claim and
 * Release reach the core through {@link Mutations}, as the manager's.
 */
final class GpuObject extends ReadOnlyProperties implements Gpu {
    private final GpuService service;
    private final PciAddress address;

    GpuObject(GpuService service, GpuStatus gpu) {
        super(BusNames.GPU_INTERFACE, BusNames.gpuPath(gpu.address()));
        this.service = service;
        this.address = gpu.address();
    }

    /** The core call Claim or Release stands for (see {@link Mutations.Mutable}). */
    Mutations.Mutation mutation(String member, Object[] args) {
        String holder = (String) args[0];
        return switch (member) {
            case "Claim" -> new Mutations.Mutation("claim " + address, "", () -> service.claim(address.toString(), holder));
            case "Release" -> new Mutations.Mutation("release " + address, "",
                    () -> service.release(address.toString(), holder));
            default -> throw new IllegalArgumentException("not a method that moves GPUs: " + member);
        };
    }

    @Override
    public void Claim(String holder) {
        throw Mutations.notHere("Claim");
    }

    @Override
    public void Release(String holder) {
        throw Mutations.notHere("Release");
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
