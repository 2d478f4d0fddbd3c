// What the desktop applets say about a GPU, from its org.gpupass1.Gpu properties
// (docs/dbus-api.md). Shared by the GNOME Shell extension and the Plasma widget, which both
// get a copy of this file at build time (make desktop), so that both say the same words.
//
// Plain ECMAScript module, no imports and no globals: GJS imports it as ESM, QML with
// `import "gpuwords.mjs" as GpuWords`. Strings go through the `tr` function that each applet
// passes in: gettext in GNOME Shell, i18n() in Plasma. Placeholders are %1, %2 (KDE style);
// the GNOME side fills them in itself.

/** The prefix of the holder a desktop user claims for: `desktop:USER`. */
export const DESKTOP_HOLDER_PREFIX = 'desktop:';

/** The holder the applets claim for. */
export function desktopHolder(user) {
    return DESKTOP_HOLDER_PREFIX + user;
}

/**
 * Where the GPU is, in a few words (the toggle's subtitle, the widget's row).
 * `gpu`: its properties (State, Driver, HostDriver, Holder, Claimable); `movingFor`: the holder
 * StateChanged named for a running claim or release ('' if none).
 */
export function place(gpu, movingFor, tr) {
    const holder = gpu.Holder || movingFor || '';
    switch (gpu.State) {
    case 'host':
        if (!gpu.Claimable)
            return tr('Not claimable');
        return tr('On the host (%1)', gpu.Driver || gpu.HostDriver || '?');
    case 'vfio':
        if (holder === '')
            return tr('Ready for a VM');
        if (holder.startsWith(DESKTOP_HOLDER_PREFIX))
            return tr('Reserved for VMs by %1', holder.substring(DESKTOP_HOLDER_PREFIX.length));
        return tr('With %1', holder);
    case 'claiming':
        return movingFor ? tr('Moving to %1…', displayHolder(movingFor)) : tr('Moving to a VM…');
    case 'releasing':
        return tr('Returning to the host…');
    case 'stuck':
        return tr('Stuck: reboot or remove and rescan');
    case 'mixed':
        return tr('Half moved: release it to repair');
    case 'unbound':
        return tr('No driver');
    default:
        return tr('Unknown state %1', gpu.State || '?');
    }
}

/** A holder as a person reads it: `desktop:anna` is "anna", a VM's name stays itself. */
export function displayHolder(holder) {
    return holder.startsWith(DESKTOP_HOLDER_PREFIX) ? holder.substring(DESKTOP_HOLDER_PREFIX.length) : holder;
}

/**
 * The model part of a name from pci.ids, for where space is short: `NVIDIA AD103 [GeForce RTX 4070
 * Ti SUPER]` gives `GeForce RTX 4070 Ti SUPER`; a name without brackets stays as it is.
 */
export function modelName(name) {
    const m = /\[([^\]]+)\]\s*$/.exec(name);
    return m ? m[1] : name;
}

/** Away from the host: with a VM (or ready for one), moving, or in a state only a release or reboot ends. */
export function isAway(gpu) {
    return gpu.State !== 'host';
}

/**
 * The one look of the panel icon for all GPUs: 'host' (every GPU on the host), 'vm' (one is on
 * vfio-pci), 'moving' (a transition runs), 'stuck' (one is stuck or half moved). The worst wins.
 */
export function overall(gpus) {
    let look = 'host';
    const rank = {host: 0, vm: 1, moving: 2, stuck: 3};
    for (const gpu of gpus) {
        let l = 'vm';
        if (gpu.State === 'host')
            l = 'host';
        else if (gpu.State === 'claiming' || gpu.State === 'releasing')
            l = 'moving';
        else if (gpu.State === 'stuck' || gpu.State === 'mixed' || gpu.State === 'unbound')
            l = 'stuck';
        if (rank[l] > rank[look])
            look = l;
    }
    return look;
}

/**
 * What switching the GPU's toggle does now: 'claim' (on the host and claimable), 'release' (held
 * by this desktop user), 'confirm-return' (held by a VM, another user or nobody: ask first), or
 * 'none' (moving, stuck, not claimable).
 */
export function toggleAction(gpu, user) {
    if (gpu.State === 'host')
        return gpu.Claimable ? 'claim' : 'none';
    if (gpu.State === 'vfio' || gpu.State === 'mixed')
        return gpu.Holder === desktopHolder(user) ? 'release' : 'confirm-return';
    return 'none';
}

/**
 * The lines under a GPU's name and place: its driver, its holder, why it cannot be claimed, the
 * last error. `gpu`: its properties (Driver, HostDriver, Holder, State, Claimable, Blockers,
 * LastError).
 */
export function details(gpu, tr) {
    const lines = [];
    if (gpu.Driver && gpu.HostDriver && gpu.Driver !== gpu.HostDriver)
        lines.push(tr('Driver: %1 (returns to %2)', gpu.Driver, gpu.HostDriver));
    else if (gpu.Driver)
        lines.push(tr('Driver: %1', gpu.Driver));
    if (gpu.Holder)
        lines.push(tr('Held by %1', displayHolder(gpu.Holder)));
    const blockers = Array.from(gpu.Blockers ?? []);
    if (gpu.State === 'host' && !gpu.Claimable && blockers.length > 0) {
        lines.push(tr('Not claimable because:'));
        blockers.forEach(b => lines.push(`• ${b}`));
    }
    if (gpu.LastError)
        lines.push(tr('Last error: %1', gpu.LastError));
    return lines;
}

/** The words of the button or menu item for a toggleAction() ('' for 'none'). */
export function actionLabel(action, tr) {
    switch (action) {
    case 'claim':
        return tr('Reserve for virtual machines');
    case 'release':
        return tr('Return to the host');
    case 'confirm-return':
        return tr('Return to the host…');
    default:
        return '';
    }
}

/** What is asked before a GPU held by `holder` (a VM, another user, or '' for nobody) goes back. */
export function confirmation(name, holder, tr) {
    return {
        title: tr('Return the GPU to the host?'),
        description: holder
            ? tr('%1 is reserved for %2. If that virtual machine is running, gpupassd refuses until it has stopped.',
                name, displayHolder(holder))
            : tr('%1 is on vfio-pci, ready for a virtual machine. If a virtual machine uses it, gpupassd refuses until it has stopped.',
                name),
        confirm: tr('Return to the host'),
        cancel: tr('Cancel'),
    };
}

/**
 * The title over the daemon's message when something failed: `what` is 'claim' or 'release' for
 * a call the user made, 'transition' for a TransitionFailed signal; `errorName` the D-Bus error.
 */
export function failureTitle(name, what, errorName, tr) {
    if (errorName === 'org.gpupass1.Error.InUse')
        return tr('%1 is still in use', name);
    if (errorName === 'org.freedesktop.DBus.Error.AccessDenied')
        return tr('Not allowed to move %1', name);
    if (what === 'claim')
        return tr('Could not reserve %1 for virtual machines', name);
    if (what === 'release')
        return tr('Could not return %1 to the host', name);
    return tr('Moving %1 failed', name);
}

/** Fills %1, %2, ... of a translated string (for gettext, which has no such formatting). */
export function fill(text, args) {
    return text.replace(/%(\d)/g, (m, n) => (n >= 1 && n <= args.length ? String(args[n - 1]) : m));
}
