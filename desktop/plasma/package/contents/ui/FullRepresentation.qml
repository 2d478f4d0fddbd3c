/*
 * The popup: one row per GPU, or why there are none (gpupassd not running, Plasma too old).
 */
import QtQuick
import QtQuick.Layouts
import org.kde.kirigami as Kirigami
import org.kde.plasma.components as PlasmaComponents3
import org.kde.plasma.core as PlasmaCore
import org.kde.plasma.extras as PlasmaExtras
import org.kde.plasma.plasmoid

PlasmaExtras.Representation {
    id: full

    Layout.minimumWidth: Kirigami.Units.gridUnit * 18
    Layout.preferredWidth: Kirigami.Units.gridUnit * 24
    Layout.minimumHeight: Kirigami.Units.gridUnit * 10
    // as tall as the rows need, up to most of a screen (then they scroll)
    Layout.preferredHeight: Math.min(Kirigami.Units.gridUnit * 36,
        Math.max(Kirigami.Units.gridUnit * (root.rows.length > 0 ? 12 : 15), (ownHeading ? header.implicitHeight : 0) + rowsColumn.implicitHeight + Kirigami.Units.largeSpacing * 4))

    // the system tray draws its own heading over its widgets
    readonly property bool ownHeading: !(Plasmoid.containmentDisplayHints & PlasmaCore.Types.ContainmentDrawsPlasmoidHeading)

    header: PlasmaExtras.PlasmoidHeading {
        visible: full.ownHeading
        PlasmaExtras.Heading {
            level: 3
            text: i18n("GPU passthrough")
        }
    }

    PlasmaComponents3.ScrollView {
        id: scroll
        anchors.fill: parent
        anchors.margins: Kirigami.Units.largeSpacing
        visible: root.running && root.rows.length > 0
        contentWidth: availableWidth
        PlasmaComponents3.ScrollBar.horizontal.policy: PlasmaComponents3.ScrollBar.AlwaysOff

        ColumnLayout {
            id: rowsColumn
            width: scroll.availableWidth
            spacing: Kirigami.Units.largeSpacing * 2

            Repeater {
                model: root.rows
                delegate: GpuRow {
                    Layout.fillWidth: true
                }
            }
        }
    }

    PlasmaExtras.PlaceholderMessage {
        anchors.centerIn: parent
        width: parent.width - Kirigami.Units.gridUnit * 2
        visible: !root.running || root.rows.length === 0
        iconName: "video-display"
        text: !root.supported ? i18n("This widget needs Plasma 6.4 or later")
            : !root.running ? i18n("gpupassd is not running")
            : i18n("gpupassd manages no GPU")
        explanation: !root.supported ? i18n("It reads gpupassd through the D-Bus types Plasma 6.4 brought.")
            : !root.running ? i18n("Start it with: systemctl start gpupassd")
            : ""
    }
}
