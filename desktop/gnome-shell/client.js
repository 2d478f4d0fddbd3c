// The extension's view of gpupassd: the GPUs and their properties, kept current from the system
// bus only (the name's owner, PropertiesChanged, StateChanged, TransitionFailed; no polling).
// The contract is docs/dbus-api.md (org.gpupass1).
//
// Emits 'changed' (the set of GPUs, or a GPU's properties, changed; also when the daemon comes or
// goes: `available`) and 'transition-failed' (path, address, errorName, message).

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import * as Signals from 'resource:///org/gnome/shell/misc/signals.js';

const BUS_NAME = 'org.gpupass1';
const MANAGER_PATH = '/org/gpupass1';
const MANAGER_IFACE = 'org.gpupass1.Manager';
const GPU_IFACE = 'org.gpupass1.Gpu';
const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';

// A Claim returns when the transition is over: the daemon may first wait for polkit (a password
// prompt, up to 5 minutes), then for the host-wide lock (lock_timeout), then for the kernel steps.
// No client-side timeout, as docs/dbus-api.md asks: the daemon always answers, and a call given up
// early would drop its real answer (the name vanishing ends it instead).
const ACTION_TIMEOUT_MS = GLib.MAXINT32;

export class GpuPassClient extends Signals.EventEmitter {
    constructor(connection = Gio.DBus.system) {
        super();
        this._bus = connection;
        this._cancellable = new Gio.Cancellable();
        this.available = false;
        /** object path -> {props} (the org.gpupass1.Gpu properties, unpacked) */
        this.gpus = new Map();
        /** object path -> the holder StateChanged named while claiming/releasing */
        this.movingFor = new Map();
        this._gpuOrder = [];
        /** object path -> changes seen before the GPU's GetAll answered */
        this._early = new Map();
        this._generation = 0;

        // Subscribe before asking anything, so that no change falls between the two.
        this._subscriptions = [
            this._bus.signal_subscribe(BUS_NAME, PROPERTIES_IFACE, 'PropertiesChanged', null, null,
                Gio.DBusSignalFlags.NONE, this._onPropertiesChanged.bind(this)),
            this._bus.signal_subscribe(BUS_NAME, MANAGER_IFACE, 'StateChanged', MANAGER_PATH, null,
                Gio.DBusSignalFlags.NONE, this._onStateChanged.bind(this)),
            this._bus.signal_subscribe(BUS_NAME, MANAGER_IFACE, 'TransitionFailed', MANAGER_PATH, null,
                Gio.DBusSignalFlags.NONE, this._onTransitionFailed.bind(this)),
        ];
        this._watch = Gio.bus_watch_name_on_connection(this._bus, BUS_NAME, Gio.BusNameWatcherFlags.NONE,
            () => this._onAppeared(), () => this._onVanished());
    }

    destroy() {
        this._cancellable.cancel();
        Gio.bus_unwatch_name(this._watch);
        this._subscriptions.forEach(id => this._bus.signal_unsubscribe(id));
        this._subscriptions = [];
        this.gpus.clear();
        this.disconnectAll();
    }

    /** The GPUs in the daemon's order: [{path, props, movingFor}]. */
    list() {
        return this._gpuOrder.filter(p => this.gpus.has(p))
            .map(path => ({path, props: this.gpus.get(path), movingFor: this.movingFor.get(path) ?? ''}));
    }

    /** Claim(holder) on the GPU object; resolves when the daemon answers, rejects with its error. */
    claim(path, holder) {
        return this._call(path, GPU_IFACE, 'Claim', new GLib.Variant('(s)', [holder]), ACTION_TIMEOUT_MS);
    }

    /** Release(holder) on the GPU object ('' releases whoever holds it). */
    release(path, holder) {
        return this._call(path, GPU_IFACE, 'Release', new GLib.Variant('(s)', [holder]), ACTION_TIMEOUT_MS);
    }

    async _onAppeared() {
        const generation = ++this._generation;
        try {
            const [props] = (await this._call(MANAGER_PATH, PROPERTIES_IFACE, 'GetAll',
                new GLib.Variant('(s)', [MANAGER_IFACE]))).recursiveUnpack();
            if (generation !== this._generation)
                return;
            this.available = true;
            await this._setGpus(props.Gpus ?? [], generation);
        } catch (e) {
            if (!e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                logError(e, 'gpupass: reading the GPUs from org.gpupass1');
        }
    }

    _onVanished() {
        this._generation++;
        const was = this.available || this.gpus.size > 0;
        this.available = false;
        this.gpus.clear();
        this.movingFor.clear();
        this._early.clear();
        this._gpuOrder = [];
        if (was)
            this.emit('changed');
    }

    async _setGpus(paths, generation) {
        this._gpuOrder = paths;
        for (const path of [...this.gpus.keys()]) {
            if (!paths.includes(path)) {
                this.gpus.delete(path);
                this.movingFor.delete(path);
            }
        }
        this.emit('changed');
        const fresh = paths.filter(p => !this.gpus.has(p) && !this._early.has(p));
        fresh.forEach(p => this._early.set(p, {}));
        await Promise.all(fresh.map(async path => {
            let props = null;
            try {
                [props] = (await this._call(path, PROPERTIES_IFACE, 'GetAll',
                    new GLib.Variant('(s)', [GPU_IFACE]))).recursiveUnpack();
            } catch (e) {
                if (!e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                    logError(e, `gpupass: reading ${path}`);
            }
            if (generation !== this._generation)
                return;
            const early = this._early.get(path) ?? {};
            this._early.delete(path);
            if (!props || !this._gpuOrder.includes(path))
                return;
            // PropertiesChanged that came while GetAll was on its way: applied over it (every
            // change is followed by its own signal, so this converges on the daemon's state).
            this.gpus.set(path, {...props, ...early});
            this.emit('changed');
        }));
    }

    _onPropertiesChanged(connection, sender, path, iface, signal, params) {
        const [ifaceName, changed, invalidated] = params.recursiveUnpack();
        if (!this.available)
            return;
        if (ifaceName === MANAGER_IFACE && path === MANAGER_PATH) {
            if ('Gpus' in changed)
                this._setGpus(changed.Gpus, this._generation).catch(e => logError(e, 'gpupass'));
            return;
        }
        if (ifaceName !== GPU_IFACE)
            return;
        const known = this.gpus.get(path);
        if (!known) {
            if (this._early.has(path))
                this._early.set(path, {...this._early.get(path), ...changed});
            return;
        }
        this.gpus.set(path, {...known, ...changed});
        if (changed.State !== undefined && changed.State !== 'claiming' && changed.State !== 'releasing')
            this.movingFor.delete(path);
        if (invalidated.length > 0)
            this._refetch(path);
        this.emit('changed');
    }

    _onStateChanged(connection, sender, path, iface, signal, params) {
        const [gpu, , , newState, holder] = params.deepUnpack();
        if (newState === 'claiming' || newState === 'releasing')
            this.movingFor.set(gpu, holder);
        else
            this.movingFor.delete(gpu);
        if (this.gpus.has(gpu))
            this.emit('changed');
    }

    _onTransitionFailed(connection, sender, path, iface, signal, params) {
        const [gpu, address, errorName, message] = params.deepUnpack();
        this.emit('transition-failed', gpu, address, errorName, message);
    }

    async _refetch(path) {
        const generation = this._generation;
        try {
            const [props] = (await this._call(path, PROPERTIES_IFACE, 'GetAll',
                new GLib.Variant('(s)', [GPU_IFACE]))).recursiveUnpack();
            if (generation === this._generation && this.gpus.has(path)) {
                this.gpus.set(path, props);
                this.emit('changed');
            }
        } catch (e) {
            if (!e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                logError(e, `gpupass: reading ${path}`);
        }
    }

    /**
     * One asynchronous call to the daemon with ALLOW_INTERACTIVE_AUTHORIZATION (so that the
     * desktop's polkit agent may ask for a password). Rejects with a Gio.DBusError whose message is
     * the daemon's own (the remote error name is kept in `e.dbusName`).
     */
    _call(path, iface, method, params, timeout = -1) {
        return new Promise((resolve, reject) => {
            this._bus.call(BUS_NAME, path, iface, method, params, null,
                Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION | Gio.DBusCallFlags.NO_AUTO_START,
                timeout, this._cancellable, (connection, result) => {
                    try {
                        resolve(connection.call_finish(result));
                    } catch (e) {
                        if (e instanceof GLib.Error && Gio.DBusError.is_remote_error(e)) {
                            e.dbusName = Gio.DBusError.get_remote_error(e);
                            Gio.DBusError.strip_remote_error(e);
                        }
                        reject(e);
                    }
                });
        });
    }
}
