package org.gpupass.core;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.gpupass.model.ClassNames;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/**
 * Which GPU a caller's {@code device} names, from the published model: any function's address
 * (full or short), or {@code ""} for the one claimable GPU (Claim) or the one claimed GPU (Release).
 */
final class DeviceResolver {
    private final GpuModel model;
    private final ClaimBook book;

    DeviceResolver(GpuModel model, ClaimBook book) {
        this.model = model;
        this.book = book;
    }

    /** For Claim: {@code ""} names the GPU the holder already has, else the one claimable GPU. */
    PciAddress forClaim(String device, String holder) throws GpuPassException {
        if (device == null || !device.isEmpty()) {
            return gpuOf(device);
        }
        List<GpuStatus> gpus = model.gpus();
        List<GpuStatus> mine = gpus.stream().filter(g -> g.holder().equals(holder)).toList();
        if (mine.size() == 1) {
            return mine.get(0).address();
        }
        List<GpuStatus> claimable = gpus.stream().filter(GpuStatus::claimable).filter(g -> g.holder().isEmpty())
                .toList();
        if (claimable.size() == 1) {
            return claimable.get(0).address();
        }
        if (claimable.isEmpty()) {
            String why = gpus.stream().map(g -> g.address() + ": " + String.join(", ", g.blockers()))
                    .collect(Collectors.joining("; "));
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no claimable GPU" + (why.isEmpty() ? "" : " (" + why + ")"));
        }
        throw new GpuPassException(ErrorKind.AMBIGUOUS, "several GPUs are claimable (" + addresses(claimable)
                + "); name one");
    }

    /** For Release: {@code ""} names the one GPU that is claimed or on vfio-pci. */
    PciAddress forRelease(String device) throws GpuPassException {
        if (device == null || !device.isEmpty()) {
            return gpuOf(device);
        }
        List<GpuStatus> claimed = model.gpus().stream()
                .filter(g -> book.claim(g.address()).isPresent() || g.state() != GpuState.HOST).toList();
        if (claimed.size() == 1) {
            return claimed.get(0).address();
        }
        if (claimed.isEmpty()) {
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no GPU is claimed");
        }
        throw new GpuPassException(ErrorKind.AMBIGUOUS, "several GPUs are claimed (" + addresses(claimed)
                + "); name one");
    }

    /** The managed GPU one of whose functions this address is. */
    PciAddress gpuOf(String device) throws GpuPassException {
        PciAddress address = PciAddress.parse(device);
        PciAddress gpu = functionIndex().get(address);
        if (gpu != null) {
            return gpu;
        }
        Optional<PciDevice> other = model.snapshot().device(address);
        if (other.isPresent()) {
            throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, address + " ("
                    + ClassNames.of(other.get().classCode()) + ") is not a GPU or a GPU function gpupassd manages");
        }
        throw new GpuPassException(ErrorKind.NO_SUCH_DEVICE, "no PCI device " + address);
    }

    /** Every managed function's GPU. */
    Map<PciAddress, PciAddress> functionIndex() {
        Map<PciAddress, PciAddress> index = new TreeMap<>();
        for (GpuStatus g : model.gpus()) {
            g.functions().forEach(f -> index.putIfAbsent(f, g.address()));
        }
        return index;
    }

    private static String addresses(List<GpuStatus> gpus) {
        return gpus.stream().map(g -> g.address().toString()).collect(Collectors.joining(", "));
    }
}
