package org.gpupass.bus;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.gpupass.model.ErrorKind;
import org.gpupass.core.GpuListener;
import org.gpupass.model.GpuPassException;
import org.gpupass.core.GpuService;
import org.gpupass.model.GpuState;
import org.gpupass.core.GpuStatus;
import org.gpupass.model.PciAddress;

/** A test double for the core: two GPUs, claims that can be held at a gate, errors on demand. */
final class FakeGpuService implements GpuService {
    final List<GpuListener> listeners = new CopyOnWriteArrayList<>();
    /** Calls that entered claim or release and have not returned. */
    final AtomicInteger waiting = new AtomicInteger();
    private final Object transitionLock = new Object();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile GpuPassException nextError;
    private final List<GpuStatus> gpus = new ArrayList<>();
    private String transition = "";

    FakeGpuService() {
        gpus.add(gpu("0000:00:02.0", "Intel Corporation Raptor Lake-S GT1 [UHD Graphics 770]", 0x8086, 0xa780,
                "i915", 2, true));
        gpus.add(gpu("0000:01:00.0", "NVIDIA Corporation AD103 [GeForce RTX 4070 Ti SUPER]", 0x10de, 0x2705,
                "nvidia", 1, false));
    }

    private static GpuStatus gpu(String address, String name, int vendor, int device, String driver, int group,
                                 boolean bootVga) {
        PciAddress a = PciAddress.tryParse(address);
        List<PciAddress> functions = bootVga ? List.of(a) : List.of(a, new PciAddress(0, 1, 0, 1));
        return new GpuStatus(a, name, vendor, device, GpuState.HOST, driver, driver, functions, group, bootVga,
                !bootVga, bootVga ? List.of("it is the boot display") : List.of(), "", 1_700_000_000_000_000L, "");
    }

    /** Previews as the real core would for a free GPU: claim, three steps; release, nothing to do. */
    @Override
    public org.gpupass.core.TransitionPreview preview(org.gpupass.plan.Intent.Operation operation, String device,
                                                      String holder) throws GpuPassException {
        if (nextError != null) {
            throw nextError;
        }
        PciAddress gpu = PciAddress.parse(device.isEmpty() ? "0000:01:00.0" : device);
        return operation == org.gpupass.plan.Intent.Operation.CLAIM
                ? new org.gpupass.core.TransitionPreview(gpu, "transition", List.of("load module vfio_pci",
                        "set driver_override of " + gpu + " to vfio-pci", "probe " + gpu))
                : new org.gpupass.core.TransitionPreview(gpu, "none", List.of());
    }

    @Override
    public String version() {
        return "0.1.0-test";
    }

    @Override
    public synchronized List<GpuStatus> gpus() {
        return List.copyOf(gpus);
    }

    @Override
    public synchronized Optional<GpuStatus> gpu(PciAddress address) {
        return gpus.stream().filter(g -> g.address().equals(address)).findFirst();
    }

    @Override
    public synchronized String transition() {
        return transition;
    }

    private GpuStatus find(String device) throws GpuPassException {
        if (device.isEmpty()) {
            return gpus().get(1);
        }
        PciAddress a = PciAddress.parse(device);
        return gpus().stream().filter(g -> g.functions().contains(a)).findFirst()
                .orElseThrow(() -> new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no GPU at " + a));
    }

    private void await() throws GpuPassException {
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                throw new GpuPassException(ErrorKind.BUSY, "gate never opened");
            }
        } catch (InterruptedException e) {
            throw new GpuPassException(ErrorKind.BUSY, "interrupted");
        } finally {
            waiting.decrementAndGet();
        }
        GpuPassException e = nextError;
        if (e != null) {
            nextError = null;
            throw e;
        }
    }

    /** A claim or release of the GPU found after the wait (it may have changed meanwhile). */
    private interface Transition {
        GpuStatus of(GpuStatus gpu) throws GpuPassException;
    }

    /**
     * As the core: an unknown device is refused at once; else the call waits at the gate (counted in
     * {@link #waiting}), transitions go one at a time, and {@link #failNext} fails the next one.
     */
    private GpuStatus atTheGate(String device, Transition transition) throws GpuPassException {
        find(device);
        waiting.incrementAndGet();
        synchronized (transitionLock) {
            await();
            return transition.of(find(device));
        }
    }

    @Override
    public GpuStatus claim(String device, String holder) throws GpuPassException {
        return atTheGate(device, gpu -> claimed(gpu, holder));
    }

    private GpuStatus claimed(GpuStatus gpu, String holder) throws GpuPassException {
        if (gpu.holder().equals(holder)) {
            return gpu;
        }
        if (!gpu.holder().isEmpty()) {
            throw new GpuPassException(ErrorKind.ALREADY_CLAIMED, "held by " + gpu.holder());
        }
        setTransition("claim " + gpu.address() + " for " + holder);
        GpuStatus claiming = change(gpu, GpuState.CLAIMING, gpu.driver(), holder);
        GpuStatus done = change(claiming, GpuState.VFIO, "vfio-pci", holder);
        setTransition("");
        return done;
    }

    @Override
    public GpuStatus release(String device, String holder) throws GpuPassException {
        return atTheGate(device, gpu -> released(gpu, holder));
    }

    private GpuStatus released(GpuStatus gpu, String holder) throws GpuPassException {
        if (gpu.holder().isEmpty()) {
            return gpu;
        }
        if (!holder.isEmpty() && !holder.equals(gpu.holder())) {
            throw new GpuPassException(ErrorKind.NOT_HOLDER, gpu.address() + " is held by " + gpu.holder());
        }
        GpuStatus releasing = change(gpu, GpuState.RELEASING, gpu.driver(), gpu.holder());
        return change(releasing, GpuState.HOST, gpu.hostDriver(), "");
    }

    /** Fails a claim after the fact, as the core does: state first, then the listener's transitionFailed. */
    void failNext(GpuPassException error) {
        nextError = error;
    }

    void fireFailure(GpuPassException error) {
        GpuStatus gpu = gpus().get(1);
        listeners.forEach(l -> l.transitionFailed(gpu, error));
    }

    @Override
    public List<GpuStatus> claimDomain(String domain, String domainXml) throws GpuPassException {
        if (!domainXml.contains("<domain")) {
            throw new GpuPassException(ErrorKind.INVALID_ARGUMENT, "not a domain XML");
        }
        return domainXml.contains("hostdev") ? List.of(claim("01:00.0", domain)) : List.of();
    }

    @Override
    public List<GpuStatus> releaseDomain(String domain) throws GpuPassException {
        List<GpuStatus> released = new ArrayList<>();
        for (GpuStatus g : gpus()) {
            if (g.holder().equals(domain)) {
                released.add(release(g.address().toString(), domain));
            }
        }
        return released;
    }

    @Override
    public void addListener(GpuListener listener) {
        listeners.add(listener);
    }

    @Override
    public boolean healthy() {
        return true;
    }

    /** Removes or re-adds the NVIDIA GPU, as a hot-unplug would. */
    void unplug() {
        synchronized (this) {
            gpus.remove(1);
        }
        listeners.forEach(GpuListener::gpuSetChanged);
    }

    private void setTransition(String text) {
        synchronized (this) {
            transition = text;
        }
        listeners.forEach(l -> l.transitionChanged(text));
    }

    private GpuStatus change(GpuStatus before, GpuState state, String driver, String holder) {
        GpuStatus after = new GpuStatus(before.address(), before.name(), before.vendorId(), before.deviceId(), state,
                driver, before.hostDriver(), before.functions(), before.iommuGroup(), before.bootVga(),
                state == GpuState.HOST, before.blockers(), holder, before.sinceMicros() + 1, "");
        synchronized (this) {
            gpus.replaceAll(g -> g.address().equals(after.address()) ? after : g);
        }
        listeners.forEach(l -> l.gpuChanged(before, after, after.holder()));
        return after;
    }
}
