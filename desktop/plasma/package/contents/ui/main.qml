/*
 * gpupass: Plasma widget for gpupassd. Where each GPU is (on the host, with a virtual machine,
 * moving, stuck), live from the daemon's D-Bus signals; reserve a GPU for virtual machines or
 * return it to the host. In the system tray only while the daemon runs
 * (X-Plasma-DBusActivationService); elsewhere it says when the daemon is not running.
 * Docs: docs/desktop.md of the gpupassd project.
 */
import QtQuick
import org.kde.coreaddons as KCoreAddons
import org.kde.plasma.plasmoid
import org.kde.plasma.core as PlasmaCore

import "gpuwords.mjs" as GpuWords
import "notified.mjs" as Notified

PlasmoidItem {
    id: root

    // The state as shown, for tests and bug reports: QT_LOGGING_RULES="org.gpupass.widget.info=true".
    LoggingCategory {
        id: log
        name: "org.gpupass.widget"
        defaultLogLevel: LoggingCategory.Warning
    }

    // The D-Bus side needs Plasma 6.4 (DBus.Properties, DBus.SignalWatcher): on an older Plasma
    // this Loader fails and the widget says so rather than show anything stale.
    Loader {
        id: bus
        source: "GpuPass.qml"
    }
    Connections {
        target: bus.item
        function onTransitionFailed(path, address, errorName, message) {
            const row = root.rows.find(r => r.path === path);
            root.notify(path, GpuWords.failureTitle(row ? row.name : address, "transition", errorName, root.tr), message);
        }
    }

    KCoreAddons.KUser {
        id: user
    }

    readonly property bool supported: bus.status === Loader.Ready
    readonly property bool running: supported && bus.item.running
    /** what each row shows, from the GPUs' properties */
    readonly property var rows: running ? bus.item.gpus.map(describe).filter(r => r !== null) : []
    readonly property string look: GpuWords.overall(rows.map(r => ({State: r.state})))
    /** the path of the GPU whose return to the host waits for the user's yes */
    property string confirming: ""
    /** path -> {type: "error"|"info", title, message}: what the last call of the user brought */
    property var outcomes: ({})
    // A daemon that went away answers none of what it was asked: its outcomes are stale then.
    onRunningChanged: if (!running) { outcomes = ({}); confirming = ""; }
    /** paths with a call of the user on its way */
    property var busy: []
    /** path -> notification id, so that a new failure replaces the GPU's last notification */
    property var notices: ({})

    function tr(text, ...args) {
        return i18n(text, ...args);
    }

    function describe(g) {
        const p = g.values;
        if (p.State === undefined)
            return null; // GetAll has not answered yet
        const gpu = {
            State: p.State, Driver: p.Driver, HostDriver: p.HostDriver, Holder: p.Holder,
            Claimable: p.Claimable, Blockers: p.Blockers ?? [], LastError: p.LastError,
        };
        const action = GpuWords.toggleAction(gpu, user.loginName);
        return {
            path: g.path,
            name: p.Name || p.Address,
            address: p.Address,
            state: p.State,
            holder: p.Holder,
            place: GpuWords.place(gpu, g.movingFor, tr),
            details: GpuWords.details(gpu, tr),
            away: GpuWords.isAway(gpu),
            action: action,
            actionLabel: GpuWords.actionLabel(action, tr),
        };
    }

    /** What the row's button does. */
    function act(row) {
        outcomes = Object.assign({}, outcomes, {[row.path]: undefined});
        if (row.action === "claim") {
            call(row, "claim", GpuWords.desktopHolder(user.loginName));
        } else if (row.action === "release") {
            call(row, "release", row.holder);
        } else if (row.action === "confirm-return") {
            confirming = row.path;
        }
    }

    function confirmReturn(row, yes) {
        confirming = "";
        if (yes)
            call(row, "release", row.holder);
    }

    function call(row, what, holder) {
        busy = busy.concat([row.path]);
        const done = (errorName, message) => {
            busy = busy.filter(p => p !== row.path);
            let outcome;
            if (errorName === "org.freedesktop.DBus.Error.NoReply") {
                // Qt's D-Bus gives up after 25 s and drops the later answer; gpupassd goes on (it
                // may wait for a password, or have stopped). A success shows in the GPU's place,
                // a refusal only as LastError/TransitionFailed when it is the daemon's failure.
                outcome = {type: "info", title: tr("No answer from gpupassd within 25 seconds"),
                    message: tr("It may be waiting for your password, or it stopped. The GPU's place above shows where it is now; try again if nothing changed.")};
            } else if (errorName) {
                outcome = {type: "error", title: GpuWords.failureTitle(row.name, what, errorName, tr), message: message};
            }
            outcomes = Object.assign({}, outcomes, {[row.path]: outcome});
            if (errorName)
                console.warn(log, "gpupass-widget: " + what + " of " + row.path + " failed: " + errorName + " " + message);
        };
        if (what === "claim")
            bus.item.claim(row.path, holder, done);
        else
            bus.item.release(row.path, holder, done);
    }

    /** A desktop notification (org.freedesktop.Notifications), one per GPU at a time. */
    function notify(path, title, message) {
        if (!Notified.firstToTell(path + "\n" + message, Date.now()))
            return;
        const escaped = message.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
        bus.item.notify(tr("GPU passthrough"), notices[path] ?? 0, Qt.resolvedUrl("../icons/gpupass-symbolic.svg").toString(),
            title, escaped, id => {
                notices = Object.assign({}, notices, {[path]: id});
            });
        console.info(log, "gpupass-widget " + Plasmoid.id + " notify " + JSON.stringify({path, title, message}));
    }

    readonly property string statusWord: ["unknown", "passive", "active", "needs-attention", "required", "accepting-input", "hidden"][Plasmoid.status] ?? "other"
    readonly property string shown: JSON.stringify({supported, running, look, status: statusWord, rows, confirming, outcomes, busy})
    onShownChanged: if (complete)
        console.info(log, "gpupass-widget " + Plasmoid.id + " " + containmentKind + " state " + shown)
    // (Qt 6.8 refuses a LoggingCategory used before it is complete)
    property bool complete: false
    readonly property string containmentKind: Plasmoid.containment && Plasmoid.containment.pluginName === "org.kde.plasma.systemtray"
        ? "tray" : (Plasmoid.formFactor === PlasmaCore.Types.Planar ? "planar" : "panel")
    Component.onCompleted: {
        complete = true;
        console.info(log, "gpupass-widget " + Plasmoid.id + " created in " + (Plasmoid.containment ? Plasmoid.containment.pluginName : "-"));
        console.info(log, "gpupass-widget " + Plasmoid.id + " " + containmentKind + " state " + shown);
    }
    Component.onDestruction: console.info(log, "gpupass-widget " + Plasmoid.id + " gone")

    Plasmoid.title: i18n("GPU passthrough")
    Plasmoid.icon: "video-display"
    Plasmoid.status: {
        // The tray loads the widget when org.gpupass1 appears (X-Plasma-DBusActivationService) and
        // should unload it when it goes; Plasma 6.7 does not always (it counts the name's
        // appearance once per look at the bus), so the widget hides itself there too.
        if (!running && containmentKind === "tray")
            return PlasmaCore.Types.HiddenStatus;
        if (look === "stuck")
            return PlasmaCore.Types.NeedsAttentionStatus;
        if (look !== "host")
            return PlasmaCore.Types.ActiveStatus;
        return PlasmaCore.Types.PassiveStatus;
    }
    toolTipMainText: i18n("GPU passthrough")
    toolTipSubText: !supported ? i18n("Needs Plasma 6.4 or later")
        : !running ? i18n("gpupassd is not running")
        : rows.map(r => r.name + ": " + r.place).join("\n")

    compactRepresentation: CompactRepresentation {}
    fullRepresentation: FullRepresentation {}
}
