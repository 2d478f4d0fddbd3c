/*
 * A button that, when the widget logs its state (org.gpupass.widget.info), also tells where it is
 * on the screen: the desktop tests click it there with xdotool, as a user would.
 */
import QtQuick
import org.kde.plasma.components as PlasmaComponents3
import org.kde.plasma.plasmoid

PlasmaComponents3.Button {
    id: button

    /** what the tests call it, e.g. "action 0000:01:00.0" */
    property string marker

    readonly property rect onScreen: {
        // read for their change notifications: the window, the button's size, and the layout around it
        const w = Window.window;
        void [x, y, width, height, visible, parent ? parent.y : 0, root.expanded, root.shown];
        if (!w || !visible)
            return Qt.rect(0, 0, 0, 0);
        const p = mapToItem(null, 0, 0);
        return Qt.rect(w.x + p.x, w.y + p.y, width, height);
    }
    onOnScreenChanged: if (onScreen.width > 0)
        console.info(log, "gpupass-widget " + Plasmoid.id + " button " + JSON.stringify({marker, text,
            x: Math.round(onScreen.x + onScreen.width / 2), y: Math.round(onScreen.y + onScreen.height / 2)}))
}
