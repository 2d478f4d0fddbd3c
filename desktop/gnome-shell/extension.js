// gpupass: GNOME Shell extension for gpupassd. Shows every GPU the daemon manages in Quick
// Settings (where it is, who holds it, why it cannot be claimed), live from the daemon's signals,
// and lets the user reserve a GPU for virtual machines or return it to the host.
// Docs: docs/desktop.md of the gpupassd project.

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';

import {GpuPassClient} from './client.js';
import {GpuPassIndicator} from './indicator.js';

export default class GpuPassExtension extends Extension {
    enable() {
        this._client = new GpuPassClient();
        this._indicator = new GpuPassIndicator(this, this._client);
        Main.panel.statusArea.quickSettings.addExternalIndicator(this._indicator);
    }

    disable() {
        this._indicator?.destroy();
        this._indicator = null;
        this._client?.destroy();
        this._client = null;
    }
}
