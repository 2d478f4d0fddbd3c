/*
 * The icon in the panel or the system tray. Its look says where the GPUs are: plain while every
 * GPU is on the host, in the highlight colour while one is with a VM (dimmed while one moves),
 * the warning card in the negative colour while one is stuck; faded when gpupassd is not running.
 */
import QtQuick
import org.kde.kirigami as Kirigami
import org.kde.plasma.plasmoid

MouseArea {
    id: compact

    readonly property string look: root.running ? root.look : "off"

    hoverEnabled: true
    acceptedButtons: Qt.LeftButton
    onClicked: root.expanded = !root.expanded

    // where the icon is on the screen, for the desktop tests' clicks (see TrackedButton.qml)
    readonly property rect onScreen: {
        const w = Window.window;
        void [x, y, width, height, root.shown];
        if (!w)
            return Qt.rect(0, 0, 0, 0);
        const p = mapToItem(null, 0, 0);
        return Qt.rect(w.x + p.x, w.y + p.y, width, height);
    }
    onOnScreenChanged: if (onScreen.width > 0)
        console.info(log, "gpupass-widget " + Plasmoid.id + " button " + JSON.stringify({marker: "icon " + root.containmentKind,
            x: Math.round(onScreen.x + onScreen.width / 2), y: Math.round(onScreen.y + onScreen.height / 2)}))

    Kirigami.Icon {
        anchors.fill: parent
        source: Qt.resolvedUrl(compact.look === "stuck" ? "../icons/gpupass-stuck-symbolic.svg" : "../icons/gpupass-symbolic.svg")
        isMask: true
        color: compact.look === "stuck" ? Kirigami.Theme.negativeTextColor
            : (compact.look === "vm" || compact.look === "moving") ? Kirigami.Theme.highlightColor
            : Kirigami.Theme.textColor
        opacity: compact.look === "off" ? 0.4 : compact.look === "moving" ? 0.6 : 1
        active: compact.containsMouse
    }
}
