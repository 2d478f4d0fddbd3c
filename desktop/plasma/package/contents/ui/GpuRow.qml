/*
 * One GPU in the popup: its name, where it is (the same words as the GNOME Shell extension), its
 * driver, holder, why it cannot be claimed and its last error; the button for what can be done
 * now, the confirmation before it leaves a VM, and what the last call brought.
 */
import QtQuick
import QtQuick.Layouts
import org.kde.kirigami as Kirigami
import org.kde.plasma.components as PlasmaComponents3

import "gpuwords.mjs" as GpuWords

ColumnLayout {
    id: gpuRow

    required property var modelData
    readonly property var row: modelData
    readonly property var outcome: root.outcomes[row.path]
    readonly property bool busy: root.busy.includes(row.path)

    spacing: Kirigami.Units.smallSpacing

    RowLayout {
        Layout.fillWidth: true
        spacing: Kirigami.Units.largeSpacing

        Kirigami.Icon {
            source: Qt.resolvedUrl(gpuRow.row.state === "stuck" ? "../icons/gpupass-stuck-symbolic.svg" : "../icons/gpupass-symbolic.svg")
            isMask: true
            color: gpuRow.row.away ? Kirigami.Theme.highlightColor : Kirigami.Theme.textColor
            Layout.preferredWidth: Kirigami.Units.iconSizes.medium
            Layout.preferredHeight: Kirigami.Units.iconSizes.medium
            Layout.alignment: Qt.AlignTop
        }

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 0

            PlasmaComponents3.Label {
                Layout.fillWidth: true
                text: gpuRow.row.name
                font.bold: true
                wrapMode: Text.Wrap
            }
            PlasmaComponents3.Label {
                Layout.fillWidth: true
                text: gpuRow.row.place
                font.weight: gpuRow.row.away ? Font.DemiBold : Font.Normal
                wrapMode: Text.Wrap
            }
            Repeater {
                model: gpuRow.row.details
                delegate: PlasmaComponents3.Label {
                    required property string modelData
                    Layout.fillWidth: true
                    text: modelData
                    opacity: 0.75
                    font: Kirigami.Theme.smallFont
                    wrapMode: Text.Wrap
                }
            }
        }

    }

    TrackedButton {
        marker: "action " + gpuRow.row.address
        visible: gpuRow.row.action !== "none" && root.confirming !== gpuRow.row.path
        enabled: !gpuRow.busy
        text: gpuRow.row.actionLabel
        Layout.alignment: Qt.AlignRight
        onClicked: root.act(gpuRow.row)
    }

    // Before a GPU leaves its holder: what happens, and yes or no.
    ColumnLayout {
        id: confirm
        readonly property var words: GpuWords.confirmation(gpuRow.row.name, gpuRow.row.holder, root.tr)
        Layout.fillWidth: true
        visible: root.confirming === gpuRow.row.path

        Kirigami.InlineMessage {
            Layout.fillWidth: true
            visible: true
            type: Kirigami.MessageType.Warning
            text: "<b>" + confirm.words.title + "</b><br>" + confirm.words.description
        }
        RowLayout {
            Layout.alignment: Qt.AlignRight
            TrackedButton {
                marker: "confirm " + gpuRow.row.address
                text: confirm.words.confirm
                icon.name: "go-home"
                onClicked: root.confirmReturn(gpuRow.row, true)
            }
            TrackedButton {
                marker: "cancel " + gpuRow.row.address
                text: confirm.words.cancel
                icon.name: "dialog-cancel"
                onClicked: root.confirmReturn(gpuRow.row, false)
            }
        }
    }

    Kirigami.InlineMessage {
        Layout.fillWidth: true
        visible: gpuRow.outcome !== undefined
        type: gpuRow.outcome && gpuRow.outcome.type === "error" ? Kirigami.MessageType.Error : Kirigami.MessageType.Information
        text: gpuRow.outcome ? "<b>" + gpuRow.outcome.title + "</b><br>" + gpuRow.outcome.message : ""
        // Not showCloseButton: its button sets visible = false, which would break the binding above
        // and hide every later outcome of this row.
        actions: [
            Kirigami.Action {
                text: i18n("Dismiss")
                icon.name: "dialog-close"
                onTriggered: root.outcomes = Object.assign({}, root.outcomes, {[gpuRow.row.path]: undefined})
            }
        ]
    }
}
