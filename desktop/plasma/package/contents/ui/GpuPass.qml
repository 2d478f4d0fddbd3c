/*
 * The widget's view of gpupassd on the system bus (the contract: docs/dbus-api.md), live from the
 * bus only: DBusServiceWatcher for the daemon coming and going, DBus.Properties for the manager's
 * Gpus and each GPU's properties (GetAll once, then PropertiesChanged), DBus.SignalWatcher for
 * StateChanged and TransitionFailed. No timers.
 *
 * Needs Plasma 6.4 (DBus.Properties and DBus.SignalWatcher): main.qml loads this file with a
 * Loader and says so when it cannot.
 */
import QtQuick
import org.kde.plasma.workspace.dbus as DBus

Item {
    id: gpupass

    readonly property string service: "org.gpupass1"
    /** the daemon owns its name on the system bus */
    readonly property bool running: watcher.registered
    /** one DBus.Properties per GPU, in the daemon's order; `values` holds its org.gpupass1.Gpu
     *  properties (empty until GetAll has answered), `movingFor` the holder a running transition is for */
    readonly property var gpus: session.item ? session.item.gpus : []

    signal transitionFailed(string path, string address, string errorName, string message)

    /** Claim(holder) on a GPU object; `done(errorName, message)` gets "" for success. */
    function claim(path, holder, done) {
        call(path, "Claim", holder, done);
    }

    /** Release(holder) on a GPU object ("" releases whoever holds it). */
    function release(path, holder, done) {
        call(path, "Release", holder, done);
    }

    /** `values` with the changes of a propertiesChanged signal, as a new object (bindings see it) */
    function merge(values, changed, invalidated) {
        const next = Object.assign({}, values);
        for (const key in changed)
            next[key] = plain(changed[key]);
        for (const key of Array.from(invalidated ?? []))
            delete next[key];
        return next;
    }

    /** A value as the D-Bus types hand it (typed wrappers such as DBus.string) as plain JS. */
    function plain(v) {
        if (v === null || v === undefined || typeof v !== "object")
            return v;
        if (v.value !== undefined)
            return plain(v.value);
        if (Array.isArray(v) || typeof v.length === "number")
            return Array.from(v).map(plain);
        return String(v);
    }

    // Replies on their way: kept referenced until they finish (the engine owns them).
    property var pending: []

    function call(path, member, holder, done) {
        const reply = DBus.SystemBus.asyncCall({
            "service": service,
            "path": path,
            "iface": "org.gpupass1.Gpu",
            "member": member,
            "arguments": [holder],
            "signature": "(s)",
        });
        pending = pending.concat([reply]);
        reply.finished.connect(() => {
            pending = pending.filter(r => r !== reply);
            done(reply.isError ? reply.error.name : "", reply.isError ? reply.error.message : "");
        });
    }

    /**
     * Notify on the session bus (org.freedesktop.Notifications, Plasma's notification server);
     * `done(id)` gets the notification's id, to replace it next time.
     */
    function notify(appName, replacesId, icon, summary, body, done) {
        const reply = DBus.SessionBus.asyncCall({
            "service": "org.freedesktop.Notifications",
            "path": "/org/freedesktop/Notifications",
            "iface": "org.freedesktop.Notifications",
            "member": "Notify",
            "arguments": [appName, replacesId, icon, summary, body, [], {}, -1],
            "signature": "(susssasa{sv}i)",
        });
        pending = pending.concat([reply]);
        reply.finished.connect(() => {
            pending = pending.filter(r => r !== reply);
            if (!reply.isError)
                done(Number(reply.value));
        });
    }

    DBus.DBusServiceWatcher {
        id: watcher
        busType: DBus.BusType.System
        watchedService: gpupass.service
    }

    // Everything read from the daemon lives only while it runs: when it comes back, all is read afresh.
    Loader {
        id: session
        active: watcher.registered
        sourceComponent: Item {
            id: live
            property var gpus: []

            // The values are taken from the propertiesChanged signal (GetAll's answer arrives as one
            // too): keys that `properties` gains after the first read are not always seen by QML.
            DBus.Properties {
                id: manager
                property var values: ({})
                busType: DBus.BusType.System
                service: gpupass.service
                path: "/org/gpupass1"
                iface: "org.gpupass1.Manager"
                onPropertiesChanged: (iface, changed, invalidated) => values = gpupass.merge(values, changed, invalidated)
            }

            Instantiator {
                id: objects
                model: Array.from(manager.values.Gpus ?? []).map(p => String(p))
                delegate: DBus.Properties {
                    required property string modelData
                    property string movingFor: ""
                    /** its org.gpupass1.Gpu properties, as plain values */
                    property var values: ({})
                    onPropertiesChanged: (iface, changed, invalidated) => values = gpupass.merge(values, changed, invalidated)
                    busType: DBus.BusType.System
                    service: gpupass.service
                    path: modelData
                    iface: "org.gpupass1.Gpu"
                }
                onObjectAdded: (index, object) => {
                    const list = [];
                    for (let i = 0; i < count; i++) {
                        if (objectAt(i))
                            list.push(objectAt(i));
                    }
                    live.gpus = list;
                }
                onObjectRemoved: (index, object) => {
                    live.gpus = live.gpus.filter(g => g !== object);
                }
            }

            DBus.SignalWatcher {
                busType: DBus.BusType.System
                service: gpupass.service
                path: "/org/gpupass1"
                iface: "org.gpupass1.Manager"

                // The arguments come as D-Bus typed wrappers, not JS strings: String() them before
                // comparing (newState === "claiming" is false for a wrapper).
                function dbusStateChanged(gpu, address, oldState, newState, holder) {
                    const path = String(gpu);
                    const state = String(newState);
                    const moving = state === "claiming" || state === "releasing";
                    for (const g of live.gpus) {
                        if (g.path === path)
                            g.movingFor = moving ? String(holder) : "";
                    }
                }

                function dbusTransitionFailed(gpu, address, errorName, message) {
                    gpupass.transitionFailed(String(gpu), String(address), String(errorName), String(message));
                }
            }
        }
    }
}
