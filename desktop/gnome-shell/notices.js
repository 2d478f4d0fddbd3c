// What the extension tells the user outside the Quick Settings menu: a notification for a failed
// transition or a refused call (with the daemon's own message), and the confirmation asked before
// a GPU is taken back from a VM.

import Clutter from 'gi://Clutter';
import Gio from 'gi://Gio';

import * as Config from 'resource:///org/gnome/shell/misc/config.js';
import * as Dialog from 'resource:///org/gnome/shell/ui/dialog.js';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as MessageTray from 'resource:///org/gnome/shell/ui/messageTray.js';
import * as ModalDialog from 'resource:///org/gnome/shell/ui/modalDialog.js';

import {gettext as _} from 'resource:///org/gnome/shell/extensions/extension.js';

// GNOME Shell 46 made Source and Notification take one object of properties.
const PARAMS_API = parseInt(Config.PACKAGE_VERSION, 10) >= 46;
/** How long a second notice with the same message counts as the same failure told twice. */
const SAME_FAILURE_MS = 10000;

export class Notices {
    constructor(icon) {
        this._icon = icon;
        this._source = null;
        /** object path -> {message, notification} of the notice on screen for that GPU */
        this._shown = new Map();
        /** the confirmation dialog while one is open (read by the tests) */
        this.dialog = null;
    }

    destroy() {
        this.dialog?.close();
        this.dialog = null;
        this._source?.destroy();
        this._source = null;
    }

    /**
     * A notification about one GPU. A second one with the same message within a few seconds, while
     * the first is still there, is the same failure told twice (a Claim refused by the kernel is
     * told both by the call's error and by TransitionFailed) and is not shown again; a retry that
     * fails the same way later is.
     */
    show(path, title, message) {
        const shown = this._shown.get(path);
        const now = Date.now();
        if (shown && shown.message === message && !shown.gone && now - shown.at < SAME_FAILURE_MS)
            return;
        const source = this._ensureSource();
        let notification;
        if (PARAMS_API) {
            notification = new MessageTray.Notification({source, title, body: message,
                urgency: MessageTray.Urgency.HIGH});
        } else {
            notification = new MessageTray.Notification(source, title, message);
            notification.setUrgency(MessageTray.Urgency.HIGH);
        }
        const entry = {message, notification, gone: false, at: now};
        notification.connect('destroy', () => {
            entry.gone = true;
        });
        this._shown.set(path, entry);
        if (PARAMS_API)
            source.addNotification(notification);
        else
            source.showNotification(notification);
    }

    _ensureSource() {
        if (this._source)
            return this._source;
        const title = _('GPU passthrough');
        this._source = PARAMS_API
            ? new MessageTray.Source({title, icon: this._icon})
            : new MessageTray.Source(title, 'video-display-symbolic');
        this._source.connect('destroy', () => {
            this._source = null;
        });
        Main.messageTray.add(this._source);
        return this._source;
    }

    /**
     * Asks before a GPU goes back to the host from its holder (`words`: GpuWords.confirmation());
     * resolves true for "Return to the host", false for Cancel or Escape.
     */
    confirmReturn(words) {
        this.dialog?.close();
        return new Promise(resolve => {
            const dialog = new ModalDialog.ModalDialog({destroyOnClose: true});
            dialog.contentLayout.add_child(new Dialog.MessageDialogContent({
                title: words.title,
                description: words.description,
            }));
            let answered = false;
            const answer = yes => {
                if (answered)
                    return;
                answered = true;
                dialog.close();
                resolve(yes);
            };
            dialog.setButtons([
                {label: words.cancel, action: () => answer(false), key: Clutter.KEY_Escape},
                {label: words.confirm, action: () => answer(true), default: true},
            ]);
            dialog.connect('destroy', () => {
                if (this.dialog === dialog)
                    this.dialog = null;
                answer(false);
            });
            this.dialog = dialog;
            if (!dialog.open())
                dialog.destroy();
        });
    }
}

/** The extension's symbolic icons, shipped in icons/. */
export function extensionIcon(extension, name) {
    return Gio.FileIcon.new(extension.dir.get_child('icons').get_child(`${name}.svg`));
}
