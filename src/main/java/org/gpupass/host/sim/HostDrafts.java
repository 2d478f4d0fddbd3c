package org.gpupass.host.sim;

import java.util.ArrayList;
import java.util.List;
import org.gpupass.model.PciAddress;

/** What a host description says, before the simulated kernel takes it over. */
final class HostDrafts {
    private HostDrafts() {
    }

    /** A device as described, before the kernel takes it over. */
    static final class DeviceDraft {
        final PciAddress address;
        final int vendor;
        final int device;
        final int classCode;
        String name;
        String driver = "";
        String override = "";
        int group = -1;
        boolean bootVga;
        List<PciAddress> consumers = List.of();

        DeviceDraft(PciAddress address, int vendor, int device, int classCode) {
            this.address = address;
            this.vendor = vendor;
            this.device = device;
            this.classCode = classCode;
        }

        /** A copy the kernel owns, so that later builder calls do not reach into a built kernel. */
        DeviceDraft copy() {
            DeviceDraft c = new DeviceDraft(address, vendor, device, classCode);
            c.name = name;
            c.driver = driver;
            c.override = override;
            c.group = group;
            c.bootVga = bootVga;
            c.consumers = consumers;
            return c;
        }
    }

    /** A systemd unit as described. */
    static final class UnitDraft {
        final String name;
        boolean active = true;
        final List<ProcessTemplate> processes = new ArrayList<>();

        UnitDraft(String name) {
            this.name = name;
        }
    }

    /** A virtual console ({@code /sys/class/vtconsole/vtconN}) as described. */
    record ConsoleDraft(String vtcon, String name, boolean bound) {
    }

    /** A firmware framebuffer platform device, the platform driver it binds to, and whether it is bound. */
    record FramebufferDraft(String device, String driver, boolean bound) {
    }
}
