package org.gpupass.cli.libvirt;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.gpupass.model.PciAddress;

/**
 * What attach and detach change in a domain, decided from its definitions alone (pure): one
 * {@link Change} per virsh call, in the order they run. Nothing to change is an empty list, which
 * is what makes both commands idempotent.
 */
public final class HostdevChanges {
    /** What one change does. */
    public enum Action {
        /** attach-device a {@code managed='no'} hostdev */
        ADD,
        /** define the persistent definition again with {@code managed='no'} on these {@code managed='yes'} hostdevs */
        SET_UNMANAGED,
        /** detach-device the hostdev */
        REMOVE
    }

    /**
     * One virsh call.
     *
     * @param addresses the host functions it is for (one, but for SET_UNMANAGED)
     * @param config    in the persistent definition ({@code --config})
     * @param live      in the running domain ({@code --live})
     * @param xml       what virsh gets: the hostdev element, or for SET_UNMANAGED the whole domain
     */
    public record Change(Action action, List<PciAddress> addresses, boolean config, boolean live, String xml) {
        public Change {
            addresses = List.copyOf(addresses);
        }
    }

    private HostdevChanges() {
    }

    /**
     * Puts every function of a GPU into the domain as {@code managed='no'}: first the {@code managed='yes'}
     * ones of the persistent definition turn {@code managed='no'}, all in one define that keeps everything
     * else (guest address, ROM, boot order), then the functions it lacks are added, GPU first.
     *
     * @param functions the GPU's functions, GPU first
     * @param config    the persistent definition
     * @param live      the running definition when the functions are to be hot-plugged too, else null
     * @param element   the new hostdev element for a function
     */
    public static List<Change> attach(List<PciAddress> functions, DomainDefinition config, DomainDefinition live,
                                      Function<PciAddress, String> element) throws LibvirtException {
        List<Change> changes = new ArrayList<>();
        List<PciAddress> managed = functions.stream().filter(f -> config.hostdevs().containsKey(f)
                && config.hostdevs().get(f).managed()).toList();
        if (!managed.isEmpty()) {
            changes.add(new Change(Action.SET_UNMANAGED, managed, true, false, config.unmanaging(managed)));
        }
        for (PciAddress f : functions) {
            boolean toConfig = !config.hostdevs().containsKey(f);
            boolean toLive = live != null && !live.hostdevs().containsKey(f);
            if (toConfig || toLive) {
                changes.add(new Change(Action.ADD, List.of(f), toConfig, toLive, element.apply(f)));
            }
        }
        return List.copyOf(changes);
    }

    /**
     * Takes every function of a GPU out of the domain, from the persistent definition and, when it
     * runs, from the running domain; libvirt matches a hostdev by its source address alone.
     *
     * @param live the running definition, or null when the domain does not run
     */
    public static List<Change> detach(List<PciAddress> functions, DomainDefinition config, DomainDefinition live,
                                      Function<PciAddress, String> element) {
        List<Change> changes = new ArrayList<>();
        for (PciAddress f : functions) {
            boolean fromConfig = config.hostdevs().containsKey(f);
            boolean fromLive = live != null && live.hostdevs().containsKey(f);
            if (fromConfig || fromLive) {
                changes.add(new Change(Action.REMOVE, List.of(f), fromConfig, fromLive, element.apply(f)));
            }
        }
        return List.copyOf(changes);
    }
}
