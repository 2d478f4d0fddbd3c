// Loaded into GNOME Shell through org.gnome.Shell.Eval by gnome-test.sh: reads back what the
// user sees of the gpupass extension (the widgets' own texts, in the Quick Settings grid's order)
// and does what a user does (clicks). Eval runs it in the scope of GNOME Shell's shellDBus.js,
// where Main is imported.
globalThis.gpupassProbe = {
    uuid: 'gpupass@gpupass.org',

    indicator() {
        return Main.extensionManager.lookup(this.uuid)?.stateObj?._indicator ?? null;
    },

    // The GPU toggles in the Quick Settings grid, as shown.
    toggles() {
        const grid = Main.panel.statusArea.quickSettings.menu._grid;
        return grid.get_children().filter(c => c.gpuPath !== undefined).map(t => {
            const inner = t._box.get_first_child();
            return {
                path: t.gpuPath,
                title: inner._title.text,
                subtitle: inner._subtitle.visible ? inner._subtitle.text : null,
                checked: t.checked,
                visible: t.visible,
                details: t._details._getMenuItems().map(i => i.label.text),
                action: t._actionItem.visible ? t._actionItem.label.text : null,
            };
        });
    },

    toggle(path) {
        return Main.panel.statusArea.quickSettings.menu._grid.get_children().find(c => c.gpuPath === path);
    },

    panelIcon() {
        const i = this.indicator();
        if (!i)
            return null;
        const icon = i._panelIcon;
        return {
            shown: i.visible && icon.visible && i.mapped,
            icon: icon.gicon?.get_file?.()?.get_basename() ?? null,
        };
    },

    notifications() {
        return Main.messageTray.getSources().flatMap(s => s.notifications.map(n => ({
            source: s.title, title: n.title, body: n.body,
        })));
    },

    clearNotifications() {
        Main.messageTray.getSources().forEach(s => s.destroy());
        return true;
    },

    // A click on the toggle's main part (not its menu arrow).
    click(path) {
        this.toggle(path)._box.get_first_child().emit('clicked', 1);
        return true;
    },

    dialog() {
        const d = this.indicator()?.notices.dialog;
        if (!d)
            return null;
        const content = d.contentLayout.get_children()[0];
        return {
            title: content.title,
            description: content.description,
            buttons: d.dialogLayout.buttonLayout.get_children().map(b => b.label),
        };
    },

    pressDialogButton(label) {
        const d = this.indicator().notices.dialog;
        d.dialogLayout.buttonLayout.get_children().find(b => b.label === label).emit('clicked', 1);
        return true;
    },

    openQuickSettings(path) {
        Main.overview.hide();
        Main.panel.statusArea.quickSettings.menu.open(false);
        if (path)
            this.toggle(path).menu.open(false);
        return true;
    },

    closeQuickSettings() {
        Main.panel.statusArea.quickSettings.menu.close(false);
        return true;
    },

    // The box of the open Quick Settings menu (and its GPU submenu), for cropping screenshots.
    menuBox() {
        const box = Main.panel.statusArea.quickSettings.menu._boxPointer;
        const [x, y] = box.get_transformed_position();
        const [w, h] = box.get_transformed_size();
        return {x: Math.round(x), y: Math.round(y), w: Math.round(w), h: Math.round(h)};
    },
};
true;
