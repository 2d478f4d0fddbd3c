package org.gpupass.cli.libvirt;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;

/**
 * A GPU as the daemon's {@code Status} shows it, with the rules by which attach and detach pick one
 * and refuse one. The daemon decides what it manages and what blocks a claim; these rules only read
 * its answer, so the CLI never disagrees with it.
 */
public record ManagedGpu(PciAddress address, String name, String state, String holder, boolean claimable,
                         List<String> blockers, List<PciAddress> functions) {

    /** attach refused: the daemon says a Claim of this GPU could not succeed now; the message has its Blockers. */
    public static final class NotClaimable extends Exception {
        NotClaimable(String message) {
            super(message);
        }
    }

    public ManagedGpu {
        blockers = List.copyOf(blockers);
        functions = List.copyOf(functions);
    }

    /** The GPUs of a Status reply (one dict of Gpu properties each). */
    public static List<ManagedGpu> fromStatus(List<Map<String, Variant<?>>> status) {
        List<ManagedGpu> gpus = new ArrayList<>();
        for (Map<String, Variant<?>> g : status) {
            PciAddress address = PciAddress.tryParse(string(g, "Address"));
            if (address == null) {
                continue;
            }
            List<PciAddress> functions = new ArrayList<>();
            strings(g, "Functions").forEach(f -> Optional.ofNullable(PciAddress.tryParse(f)).ifPresent(functions::add));
            if (!functions.contains(address)) {
                functions.add(0, address);
            }
            Variant<?> claimable = g.get("Claimable");
            gpus.add(new ManagedGpu(address, string(g, "Name"), string(g, "State"), string(g, "Holder"),
                    claimable != null && Boolean.TRUE.equals(claimable.getValue()), strings(g, "Blockers"), functions));
        }
        return gpus;
    }

    /**
     * The GPU attach is for: the one with the function {@code device}; for {@code ""}, as Claim reads it,
     * the one {@code domain} holds, else the one claimable GPU.
     *
     * @throws GpuPassException InvalidArgument (not an address), NoSuchDevice (not a function of a GPU the
     *                          daemon manages; no claimable GPU), Ambiguous (several claimable)
     */
    public static ManagedGpu forAttach(List<ManagedGpu> gpus, String device, String domain) throws GpuPassException {
        if (!device.isEmpty()) {
            return withFunction(gpus, device);
        }
        List<ManagedGpu> held = gpus.stream().filter(g -> g.holder().equals(domain)).toList();
        if (held.size() == 1) {
            return held.get(0);
        }
        List<ManagedGpu> free = gpus.stream().filter(g -> g.claimable() && g.holder().isEmpty()).toList();
        if (free.size() == 1) {
            return free.get(0);
        }
        if (free.isEmpty()) {
            String why = gpus.stream().map(g -> g.address() + ": " + String.join(", ", g.blockers()))
                    .collect(Collectors.joining("; "));
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no claimable GPU" + (why.isEmpty() ? "" : " (" + why + ")"));
        }
        throw new GpuPassException(ErrorKind.AMBIGUOUS, "several GPUs are claimable (" + addresses(free) + "); name one");
    }

    /**
     * The GPU detach is for: the one with the function {@code device}; for {@code ""}, the one GPU of the
     * daemon's among {@code passed} (the domain's hostdevs), empty when there is none.
     */
    public static Optional<ManagedGpu> forDetach(List<ManagedGpu> gpus, String device, Collection<PciAddress> passed)
            throws GpuPassException {
        if (!device.isEmpty()) {
            return Optional.of(withFunction(gpus, device));
        }
        List<ManagedGpu> in = gpus.stream().filter(g -> g.functions().stream().anyMatch(passed::contains)).toList();
        if (in.size() > 1) {
            throw new GpuPassException(ErrorKind.AMBIGUOUS, "the domain has functions of several GPUs of gpupassd's ("
                    + addresses(in) + "); name one");
        }
        return in.stream().findFirst();
    }

    /**
     * Whether attach may put this GPU into a domain: a GPU somebody holds is on vfio-pci already (for that
     * domain, or for another that has to let go before this one starts: both fine for the persistent
     * config); any other GPU must be claimable. A stuck GPU never is.
     */
    public void checkAttachable() throws NotClaimable {
        if (state.equals("stuck") || (holder.isEmpty() && !claimable)) {
            throw new NotClaimable("gpupassd cannot claim " + address + " now" + (blockers.isEmpty()
                    ? " (state " + state + ")" : ": " + String.join("; ", blockers)));
        }
    }

    private static ManagedGpu withFunction(List<ManagedGpu> gpus, String device) throws GpuPassException {
        PciAddress address = PciAddress.parse(device.strip());
        return gpus.stream().filter(g -> g.functions().contains(address)).findFirst()
                .orElseThrow(() -> new GpuPassException(ErrorKind.NO_SUCH_DEVICE, address + " is not a GPU or a "
                        + "function of a GPU that gpupassd manages (gpupassctl status lists them)"));
    }

    private static String addresses(List<ManagedGpu> gpus) {
        return gpus.stream().map(g -> g.address().toString()).collect(Collectors.joining(", "));
    }

    private static String string(Map<String, Variant<?>> g, String key) {
        Variant<?> v = g.get(key);
        return v == null ? "" : String.valueOf(v.getValue());
    }

    private static List<String> strings(Map<String, Variant<?>> g, String key) {
        Variant<?> v = g.get(key);
        List<String> out = new ArrayList<>();
        if (v != null && v.getValue() instanceof List<?> list) {
            list.forEach(item -> out.add(String.valueOf(item)));
        }
        return out;
    }
}
