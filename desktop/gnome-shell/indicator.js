// The extension's UI: one Quick Settings toggle per GPU gpupassd manages, and a panel icon while
// any GPU is away from the host. Everything shown comes from GpuPassClient; nothing here polls.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pango from 'gi://Pango';

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
import {QuickMenuToggle, SystemIndicator} from 'resource:///org/gnome/shell/ui/quickSettings.js';

import {gettext as _} from 'resource:///org/gnome/shell/extensions/extension.js';

import * as GpuWords from './gpuwords.mjs';
import {Notices, extensionIcon} from './notices.js';

/** gettext with KDE-style %1 placeholders, as gpuwords.mjs writes them. */
function tr(text, ...args) {
    return GpuWords.fill(_(text), args);
}

const GpuToggle = GObject.registerClass(
class GpuToggle extends QuickMenuToggle {
    _init(path, icon, actions) {
        super._init({gicon: icon, toggleMode: false});
        this.gpuPath = path;
        this._actions = actions;
        this._details = new PopupMenu.PopupMenuSection();
        this.menu.addMenuItem(this._details);
        this.menu.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
        this._actionItem = this.menu.addAction('', () => this._actions.act(this, true));
        this.connect('clicked', () => this._actions.act(this, false));
        this.gpu = null;
    }

    /** Shows `gpu` ({path, props, movingFor}). */
    update(gpu, user) {
        this.gpu = gpu;
        const p = gpu.props;
        this.title = p.Name || p.Address;
        this.subtitle = GpuWords.place(p, gpu.movingFor, tr);
        this.checked = GpuWords.isAway(p);
        // The toggle (its subtitle says where the GPU is) stays in view above this menu.
        this.menu.setHeader(this.gicon, GpuWords.modelName(this.title), p.Address);

        this._details.removeAll();
        const line = text => {
            const item = new PopupMenu.PopupMenuItem(text, {reactive: false, can_focus: false});
            item.label.clutter_text.set({line_wrap: true, ellipsize: Pango.EllipsizeMode.NONE});
            this._details.addMenuItem(item);
            return item;
        };
        if (GpuWords.modelName(this.title) !== this.title)
            line(this.title);
        GpuWords.details(p, tr).forEach(line);

        const action = GpuWords.toggleAction(p, user);
        this._actionItem.label.text = GpuWords.actionLabel(action, tr);
        this._actionItem.visible = action !== 'none';
    }
});

export const GpuPassIndicator = GObject.registerClass(
class GpuPassIndicator extends SystemIndicator {
    _init(extension, client) {
        super._init();
        this._client = client;
        this._user = GLib.get_user_name();
        this._icons = {
            gpu: extensionIcon(extension, 'gpupass-symbolic'),
            stuck: extensionIcon(extension, 'gpupass-stuck-symbolic'),
        };
        this.notices = new Notices(this._icons.gpu);
        this._panelIcon = this._addIndicator();
        this._panelIcon.visible = false;
        /** object path -> GpuToggle */
        this.toggles = new Map();

        client.connectObject(
            'changed', () => this._sync(),
            'transition-failed', (c, path, address, errorName, message) =>
                this._transitionFailed(path, address, errorName, message),
            this);
        this.connect('destroy', () => this._onDestroy());
        this._sync();
    }

    _onDestroy() {
        this._client.disconnectObject(this);
        this.notices.destroy();
        for (const toggle of this.toggles.values())
            this._removeToggle(toggle);
        this.toggles.clear();
    }

    _sync() {
        const gpus = this._client.list();
        const paths = gpus.map(g => g.path);
        for (const [path, toggle] of this.toggles) {
            if (!paths.includes(path)) {
                this._removeToggle(toggle);
                this.toggles.delete(path);
            }
        }
        // new toggles in the daemon's order, each before the toggle of the next GPU
        for (let i = gpus.length - 1; i >= 0; i--) {
            const {path} = gpus[i];
            if (this.toggles.has(path))
                continue;
            const toggle = new GpuToggle(path, this._icons.gpu, this);
            const next = paths.slice(i + 1).map(p => this.toggles.get(p)).find(t => t);
            this._addToggle(toggle, next ?? null);
            this.toggles.set(path, toggle);
        }
        gpus.forEach(g => this.toggles.get(g.path).update(g, this._user));

        const look = GpuWords.overall(gpus.map(g => g.props));
        this._panelIcon.gicon = look === 'stuck' ? this._icons.stuck : this._icons.gpu;
        this._panelIcon.visible = this._client.available && look !== 'host';
    }

    _addToggle(toggle, before) {
        const quickSettings = Main.panel.statusArea.quickSettings;
        // Keep to the place GNOME Shell gives external toggles: before "background apps". The
        // full width of the menu: GPU names are long ("NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]").
        const sibling = before ?? quickSettings._backgroundApps?.quickSettingsItems?.at(-1) ?? null;
        if (sibling)
            quickSettings.menu.insertItemBefore(toggle, sibling, 2);
        else
            quickSettings.menu.addItem(toggle, 2);
        this.quickSettingsItems.push(toggle);
    }

    _removeToggle(toggle) {
        this.quickSettingsItems = this.quickSettingsItems.filter(t => t !== toggle);
        toggle.menu.close();
        toggle.menu.destroy();
        toggle.destroy();
    }

    /** The toggle was switched (or its menu's action item chosen: `fromMenu`). */
    async act(toggle, fromMenu) {
        const gpu = toggle.gpu;
        if (!gpu)
            return;
        const p = gpu.props;
        const name = p.Name || p.Address;
        const action = GpuWords.toggleAction(p, this._user);
        // The toggle shows the daemon's state, never a guess: it changes when the daemon says so.
        toggle.checked = GpuWords.isAway(p);
        try {
            if (action === 'claim') {
                await this._client.claim(gpu.path, GpuWords.desktopHolder(this._user));
            } else if (action === 'release') {
                await this._client.release(gpu.path, p.Holder);
            } else if (action === 'confirm-return') {
                Main.panel.statusArea.quickSettings.menu.close();
                if (await this.notices.confirmReturn(GpuWords.confirmation(name, p.Holder ?? '', tr)))
                    await this._client.release(gpu.path, p.Holder ?? '');
            } else if (!fromMenu) {
                toggle.menu.open(); // not claimable, moving or stuck: the menu says why
            }
        } catch (e) {
            this._callFailed(gpu.path, name, action, e);
        }
    }

    _callFailed(path, name, action, e) {
        if (e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
            return;
        console.warn(`gpupass: ${action} of ${path} failed: ${e.dbusName ?? ''} ${e.message}`);
        const what = action === 'claim' ? 'claim' : 'release';
        this.notices.show(path, GpuWords.failureTitle(name, what, e.dbusName ?? '', tr), e.message);
    }

    _transitionFailed(path, address, errorName, message) {
        const name = this._client.gpus.get(path)?.Name || address;
        this.notices.show(path, GpuWords.failureTitle(name, 'transition', errorName, tr), message);
    }
});

