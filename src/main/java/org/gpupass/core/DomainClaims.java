package org.gpupass.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.libvirt.Hostdev;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.Holders;
import org.gpupass.model.PciAddress;
import org.gpupass.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt domains: every managed GPU a domain's XML names by a PCI hostdev is claimed for the
 * domain, all or none; released together when the domain stops. Built on the manager's own Claim
 * and Release, so each GPU goes through the same rules and the same lock.
 */
final class DomainClaims {
    private static final Logger LOG = LoggerFactory.getLogger(DomainClaims.class);

    private final GpuService manager;
    private final DeviceResolver resolver;
    private final ClaimBook book;

    DomainClaims(GpuService manager, DeviceResolver resolver, ClaimBook book) {
        this.manager = manager;
        this.resolver = resolver;
        this.book = book;
    }

    /**
     * Claims the domain's GPUs in address order; ManagedHostdev before anything when a hostdev of
     * one of them says managed='yes'. A failure releases what this call claimed (not the GPUs the
     * domain held before it) and is thrown.
     */
    List<GpuStatus> claim(String domain, String domainXml) throws GpuPassException {
        Holders.require(domain);
        List<Hostdev> hostdevs = DomainXml.pciHostdevs(domainXml);
        Map<PciAddress, PciAddress> gpuOfFunction = resolver.functionIndex();
        List<PciAddress> wanted = new ArrayList<>();
        for (Hostdev dev : hostdevs) {
            PciAddress gpu = gpuOfFunction.get(dev.address());
            if (gpu == null) {
                continue;
            }
            if (dev.managed()) {
                throw new GpuPassException(ErrorKind.MANAGED_HOSTDEV, "domain " + Printable.clip(domain)
                        + " has managed='yes' on " + dev.address() + " (of GPU " + gpu + "): libvirt would rebind it "
                        + "behind gpupassd's back; set managed='no' on every hostdev of the GPU");
            }
            if (!wanted.contains(gpu)) {
                wanted.add(gpu);
            }
        }
        wanted.sort(Comparator.naturalOrder());
        List<GpuStatus> result = new ArrayList<>();
        // Only what this call claimed is undone: a GPU the domain held before stays with it.
        List<PciAddress> claimedNow = new ArrayList<>();
        for (PciAddress gpu : wanted) {
            boolean heldBefore = book.claim(gpu).map(c -> c.holder().equals(domain)).orElse(false);
            try {
                result.add(manager.claim(gpu.toString(), domain));
            } catch (GpuPassException e) {
                undo(domain, claimedNow);
                throw e;
            }
            if (!heldBefore) {
                claimedNow.add(gpu);
            }
        }
        return result;
    }

    private void undo(String domain, List<PciAddress> claimedNow) {
        for (PciAddress gpu : claimedNow) {
            try {
                manager.release(gpu.toString(), domain);
            } catch (GpuPassException e) {
                LOG.warn("could not release {} after a failed ClaimDomain for {}: {}", gpu, domain, e);
            }
        }
    }

    /** Releases every GPU the domain holds; the first failure is thrown after all were tried. */
    List<GpuStatus> release(String domain) throws GpuPassException {
        Holders.require(domain);
        List<GpuStatus> released = new ArrayList<>();
        GpuPassException first = null;
        for (PciAddress gpu : book.heldBy(domain)) {
            try {
                released.add(manager.release(gpu.toString(), domain));
            } catch (GpuPassException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
        return released;
    }
}
