# gpupassd: install from a checkout after `mvn package` (this Makefile never builds).
#
#   mvn package
#   sudo make install                  # PREFIX=/usr/local, configuration in /etc
#   sudo make install PREFIX=/usr      # where a distribution package would put it
#   make install DESTDIR=/tmp/root     # staged (packaging, tests)
#   sudo make uninstall [PREFIX=...]   # removes what install put there, keeps /etc/gpupassd
#
# Where things go (PREFIX=/usr/local | PREFIX=/usr):
#   jar + lib/          $(PREFIX)/share/gpupassd/
#   launchers           $(PREFIX)/bin/gpupassd, gpupassctl
#   systemd unit        /usr/local/lib/systemd/system | /usr/lib/systemd/system
#                       (any other PREFIX: /etc/systemd/system, the only other place systemd reads)
#   D-Bus bus policy    /etc/dbus-1/system.d | /usr/share/dbus-1/system.d
#                       (dbus-daemon and dbus-broker read only those two)
#   polkit action       /etc/polkit-1/actions (polkit >= 126) | /usr/share/polkit-1/actions
#   D-Bus interfaces    $(PREFIX)/share/dbus-1/interfaces/ (documentation for tools)
#   libvirt hook        /etc/libvirt/hooks/qemu.d/gpupassd
#   configuration       /etc/gpupassd/gpupassd.conf (never overwritten)
#   docs + examples     $(PREFIX)/share/doc/gpupassd/
#   GNOME Shell ext.    $(PREFIX)/share/gnome-shell/extensions/gpupass@gpupass.org/
#   Plasma widget       $(PREFIX)/share/plasma/plasmoids/org.gpupass.widget/
#
# The desktop applets alone, for a user (no root, no jar needed):
#   make desktop        target/desktop/gpupass@gpupass.org.shell-extension.zip (for
#                       `gnome-extensions install`) and target/desktop/org.gpupass.widget.plasmoid
#                       (for `kpackagetool6 -t Plasma/Applet -i`)
# Fedora Kinoite/Silverblue (read-only /usr): the PREFIX=/usr/local default works, as
# /usr/local is /var/usrlocal there and everything else goes to /etc. The polkit action needs
# polkit >= 126 there (Fedora 41+); with an older polkit put it in /usr/share/polkit-1/actions
# (POLKIT_ACTIONDIR=...), else only root can claim.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
PKGDATADIR ?= $(DATADIR)/gpupassd
DOCDIR ?= $(DATADIR)/doc/gpupassd
DBUS_INTERFACESDIR ?= $(DATADIR)/dbus-1/interfaces
LIBVIRT_HOOKDIR ?= $(SYSCONFDIR)/libvirt/hooks/qemu.d
CONFDIR ?= $(SYSCONFDIR)/gpupassd

ifeq ($(PREFIX),/usr)
UNITDIR ?= /usr/lib/systemd/system
DBUS_POLICYDIR ?= /usr/share/dbus-1/system.d
POLKIT_ACTIONDIR ?= /usr/share/polkit-1/actions
else ifeq ($(PREFIX),/usr/local)
UNITDIR ?= /usr/local/lib/systemd/system
DBUS_POLICYDIR ?= $(SYSCONFDIR)/dbus-1/system.d
POLKIT_ACTIONDIR ?= $(SYSCONFDIR)/polkit-1/actions
else
UNITDIR ?= $(SYSCONFDIR)/systemd/system
DBUS_POLICYDIR ?= $(SYSCONFDIR)/dbus-1/system.d
POLKIT_ACTIONDIR ?= $(SYSCONFDIR)/polkit-1/actions
endif

# The build's output (mvn package)
TARGET ?= target
JAR := $(TARGET)/gpupassd.jar
IFACE_SRC := src/main/resources/org/gpupass1
IFACES := org.gpupass1.Manager.xml org.gpupass1.Gpu.xml

INSTALL ?= install
SED_PATHS = sed -e 's|@PKGDATADIR@|$(PKGDATADIR)|g' \
	-e 's|^ExecStart=/usr/bin/gpupassd|ExecStart=$(BINDIR)/gpupassd|' \
	-e 's|file:///usr/share/doc/gpupassd/|file://$(DOCDIR)/|'

# The desktop applets (desktop/): sources, and where they go
GNOME_UUID := gpupass@gpupass.org
GNOME_EXTDIR ?= $(DATADIR)/gnome-shell/extensions/$(GNOME_UUID)
GNOME_SRC := desktop/gnome-shell
GNOME_FILES := metadata.json extension.js client.js indicator.js notices.js
GNOME_DOMAIN := gpupass-gnome-shell
PLASMA_ID := org.gpupass.widget
PLASMOIDDIR ?= $(DATADIR)/plasma/plasmoids/$(PLASMA_ID)
PLASMA_SRC := desktop/plasma/package
PLASMA_UI := main.qml GpuPass.qml CompactRepresentation.qml FullRepresentation.qml GpuRow.qml TrackedButton.qml \
	notified.mjs
PLASMA_DOMAIN := plasma_applet_$(PLASMA_ID)
WORDS := desktop/common/gpuwords.mjs
ICONS := desktop/common/icons/gpupass-symbolic.svg desktop/common/icons/gpupass-stuck-symbolic.svg
DESKTOP_OUT ?= $(TARGET)/desktop

.PHONY: all install uninstall check-built install-files install-desktop print-paths \
	desktop gnome-shell-extension plasma-widget desktop-pot

all:
	@echo "Build with 'mvn package', then 'make install' (PREFIX=$(PREFIX) DESTDIR=$(DESTDIR))."

check-built:
	@if [ ! -f "$(JAR)" ]; then \
	  echo "make: $(JAR) is missing: build it first with 'mvn package' (make install never builds)" >&2; \
	  exit 1; \
	fi
	@if ! ls "$(TARGET)"/lib/*.jar >/dev/null 2>&1; then \
	  echo "make: $(TARGET)/lib/*.jar missing: run 'mvn package' (it copies the libraries there)" >&2; \
	  exit 1; \
	fi

install: check-built install-files
	@if [ -z "$(DESTDIR)" ]; then \
	  if command -v restorecon >/dev/null 2>&1 && command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then \
	    restorecon -R $(PKGDATADIR) $(BINDIR)/gpupassd $(BINDIR)/gpupassctl $(UNITDIR)/gpupassd.service \
	      $(DBUS_POLICYDIR)/org.gpupass1.conf $(POLKIT_ACTIONDIR)/org.gpupass1.policy \
	      $(LIBVIRT_HOOKDIR)/gpupassd $(CONFDIR) 2>/dev/null || true; \
	  fi; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi; \
	  case "$(POLKIT_ACTIONDIR)" in /etc/*) \
	    v=$$(pkaction --version 2>/dev/null | sed 's/[^0-9]*\([0-9]*\).*/\1/'); \
	    if [ -n "$$v" ] && [ "$$v" -lt 126 ]; then \
	      echo "make: warning: polkit $$v reads actions only from /usr/share/polkit-1/actions; run 'make install POLKIT_ACTIONDIR=/usr/share/polkit-1/actions' or only root can claim GPUs" >&2; \
	    fi;; \
	  esac; \
	  echo "Installed. Next: systemctl enable --now gpupassd; restart libvirtd/virtqemud so it sees the hook."; \
	fi

install-files: install-desktop
	$(INSTALL) -d $(DESTDIR)$(PKGDATADIR)/lib $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(DBUS_POLICYDIR) $(DESTDIR)$(POLKIT_ACTIONDIR) $(DESTDIR)$(DBUS_INTERFACESDIR) \
	  $(DESTDIR)$(LIBVIRT_HOOKDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(CONFDIR)
	$(INSTALL) -m 0644 $(JAR) $(DESTDIR)$(PKGDATADIR)/gpupassd.jar
	@# libraries: replace the set (an upgrade may rename them)
	rm -f $(DESTDIR)$(PKGDATADIR)/lib/*.jar
	$(INSTALL) -m 0644 $(TARGET)/lib/*.jar $(DESTDIR)$(PKGDATADIR)/lib/
	$(SED_PATHS) bin/gpupassd >$(DESTDIR)$(BINDIR)/gpupassd
	$(SED_PATHS) bin/gpupassctl >$(DESTDIR)$(BINDIR)/gpupassctl
	chmod 0755 $(DESTDIR)$(BINDIR)/gpupassd $(DESTDIR)$(BINDIR)/gpupassctl
	$(SED_PATHS) systemd/gpupassd.service >$(DESTDIR)$(UNITDIR)/gpupassd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/gpupassd.service
	$(INSTALL) -m 0644 dbus-policy/org.gpupass1.conf $(DESTDIR)$(DBUS_POLICYDIR)/org.gpupass1.conf
	$(INSTALL) -m 0644 polkit/org.gpupass1.policy $(DESTDIR)$(POLKIT_ACTIONDIR)/org.gpupass1.policy
	$(INSTALL) -m 0755 libvirt/hooks/qemu.d/gpupassd $(DESTDIR)$(LIBVIRT_HOOKDIR)/gpupassd
	@for f in $(IFACES); do \
	  if [ -f $(IFACE_SRC)/$$f ]; then \
	    echo "$(INSTALL) -m 0644 $(IFACE_SRC)/$$f $(DESTDIR)$(DBUS_INTERFACESDIR)/$$f"; \
	    $(INSTALL) -m 0644 $(IFACE_SRC)/$$f $(DESTDIR)$(DBUS_INTERFACESDIR)/$$f || exit 1; \
	  else \
	    echo "make: warning: $(IFACE_SRC)/$$f missing, not installed" >&2; \
	  fi; \
	done
	$(INSTALL) -m 0644 polkit/50-gpupassd-libvirt.rules.example $(DESTDIR)$(DOCDIR)/
	@for f in docs/install.md etc/gpupassd.conf; do \
	  if [ -f $$f ]; then $(INSTALL) -m 0644 $$f $(DESTDIR)$(DOCDIR)/ || exit 1; fi; \
	done
	@# the example configuration, never over an existing one
	@if [ -f etc/gpupassd.conf ]; then \
	  if [ -e $(DESTDIR)$(CONFDIR)/gpupassd.conf ]; then \
	    echo "keeping the existing $(DESTDIR)$(CONFDIR)/gpupassd.conf (the example is in $(DOCDIR))"; \
	  else \
	    echo "$(INSTALL) -m 0644 etc/gpupassd.conf $(DESTDIR)$(CONFDIR)/gpupassd.conf"; \
	    $(INSTALL) -m 0644 etc/gpupassd.conf $(DESTDIR)$(CONFDIR)/gpupassd.conf; \
	  fi; \
	fi

# The GNOME Shell extension and the Plasma widget, each with a copy of gpuwords.mjs and the icons,
# translations compiled from their po/*.po (msgfmt, only when there are any).
install-desktop:
	$(INSTALL) -d $(DESTDIR)$(GNOME_EXTDIR)/icons
	$(INSTALL) -m 0644 $(addprefix $(GNOME_SRC)/,$(GNOME_FILES)) $(WORDS) $(DESTDIR)$(GNOME_EXTDIR)/
	$(INSTALL) -m 0644 $(ICONS) $(DESTDIR)$(GNOME_EXTDIR)/icons/
	@for po in $(wildcard $(GNOME_SRC)/po/*.po); do \
	  d=$(DESTDIR)$(GNOME_EXTDIR)/locale/$$(basename $$po .po)/LC_MESSAGES; \
	  echo "msgfmt -o $$d/$(GNOME_DOMAIN).mo $$po"; \
	  $(INSTALL) -d $$d && msgfmt -o $$d/$(GNOME_DOMAIN).mo $$po || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(PLASMOIDDIR)/contents/ui $(DESTDIR)$(PLASMOIDDIR)/contents/icons
	$(INSTALL) -m 0644 $(PLASMA_SRC)/metadata.json $(DESTDIR)$(PLASMOIDDIR)/
	$(INSTALL) -m 0644 $(addprefix $(PLASMA_SRC)/contents/ui/,$(PLASMA_UI)) $(WORDS) $(DESTDIR)$(PLASMOIDDIR)/contents/ui/
	$(INSTALL) -m 0644 $(ICONS) $(DESTDIR)$(PLASMOIDDIR)/contents/icons/
	@for po in $(wildcard desktop/plasma/po/*.po); do \
	  d=$(DESTDIR)$(PLASMOIDDIR)/contents/locale/$$(basename $$po .po)/LC_MESSAGES; \
	  echo "msgfmt -o $$d/$(PLASMA_DOMAIN).mo $$po"; \
	  $(INSTALL) -d $$d && msgfmt -o $$d/$(PLASMA_DOMAIN).mo $$po || exit 1; \
	done

desktop: gnome-shell-extension plasma-widget

# The zip `gnome-extensions install` takes and the .plasmoid `kpackagetool6 -i` takes: each the
# installed tree, zipped from its root.
gnome-shell-extension:
	@rm -rf $(DESKTOP_OUT)/stage-gnome && mkdir -p $(DESKTOP_OUT)
	@$(MAKE) -s install-desktop DESTDIR= GNOME_EXTDIR=$(abspath $(DESKTOP_OUT))/stage-gnome \
	  PLASMOIDDIR=$(abspath $(DESKTOP_OUT))/stage-gnome-unused >/dev/null
	rm -f $(DESKTOP_OUT)/$(GNOME_UUID).shell-extension.zip
	cd $(DESKTOP_OUT)/stage-gnome && zip -q -X -r ../$(GNOME_UUID).shell-extension.zip .
	@rm -rf $(DESKTOP_OUT)/stage-gnome $(DESKTOP_OUT)/stage-gnome-unused
	@echo "$(DESKTOP_OUT)/$(GNOME_UUID).shell-extension.zip: gnome-extensions install --force it, then log out and in"

# Translation templates for the applets (target/desktop/*.pot): a translation goes to
# desktop/gnome-shell/po/LANG.po and desktop/plasma/po/LANG.po, compiled by install-desktop.
desktop-pot:
	mkdir -p $(DESKTOP_OUT)
	xgettext --from-code=UTF-8 --language=JavaScript --keyword=_ --keyword=tr --package-name=gpupass \
	  -o $(DESKTOP_OUT)/$(GNOME_DOMAIN).pot $(addprefix $(GNOME_SRC)/,$(filter %.js,$(GNOME_FILES))) $(WORDS)
	xgettext --from-code=UTF-8 --language=JavaScript --keyword=i18n --keyword=tr --package-name=gpupass \
	  -o $(DESKTOP_OUT)/$(PLASMA_DOMAIN).pot $(addprefix $(PLASMA_SRC)/contents/ui/,$(PLASMA_UI)) $(WORDS)

plasma-widget:
	@rm -rf $(DESKTOP_OUT)/stage-plasma && mkdir -p $(DESKTOP_OUT)
	@$(MAKE) -s install-desktop DESTDIR= PLASMOIDDIR=$(abspath $(DESKTOP_OUT))/stage-plasma \
	  GNOME_EXTDIR=$(abspath $(DESKTOP_OUT))/stage-plasma-unused >/dev/null
	rm -f $(DESKTOP_OUT)/$(PLASMA_ID).plasmoid
	cd $(DESKTOP_OUT)/stage-plasma && zip -q -X -r ../$(PLASMA_ID).plasmoid .
	@rm -rf $(DESKTOP_OUT)/stage-plasma $(DESKTOP_OUT)/stage-plasma-unused
	@echo "$(DESKTOP_OUT)/$(PLASMA_ID).plasmoid: kpackagetool6 -t Plasma/Applet -i it (-u to upgrade)"

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && systemctl is-active -q gpupassd 2>/dev/null; then \
	  echo "make: gpupassd is running: 'systemctl disable --now gpupassd' first (a claimed GPU stays on vfio-pci)" >&2; exit 1; \
	fi
	rm -f $(DESTDIR)$(BINDIR)/gpupassd $(DESTDIR)$(BINDIR)/gpupassctl
	rm -f $(DESTDIR)$(PKGDATADIR)/gpupassd.jar $(DESTDIR)$(PKGDATADIR)/lib/*.jar
	-rmdir $(DESTDIR)$(PKGDATADIR)/lib $(DESTDIR)$(PKGDATADIR) 2>/dev/null
	rm -f $(DESTDIR)$(UNITDIR)/gpupassd.service
	rm -f $(DESTDIR)$(DBUS_POLICYDIR)/org.gpupass1.conf
	rm -f $(DESTDIR)$(POLKIT_ACTIONDIR)/org.gpupass1.policy
	rm -f $(addprefix $(DESTDIR)$(DBUS_INTERFACESDIR)/,$(IFACES))
	rm -f $(DESTDIR)$(LIBVIRT_HOOKDIR)/gpupassd
	rm -f $(addprefix $(DESTDIR)$(GNOME_EXTDIR)/,$(GNOME_FILES) gpuwords.mjs $(addprefix icons/,$(notdir $(ICONS))))
	rm -f $(DESTDIR)$(GNOME_EXTDIR)/locale/*/LC_MESSAGES/$(GNOME_DOMAIN).mo
	rm -f $(DESTDIR)$(PLASMOIDDIR)/metadata.json $(addprefix $(DESTDIR)$(PLASMOIDDIR)/contents/ui/,$(PLASMA_UI) gpuwords.mjs)
	rm -f $(addprefix $(DESTDIR)$(PLASMOIDDIR)/contents/icons/,$(notdir $(ICONS)))
	rm -f $(DESTDIR)$(PLASMOIDDIR)/contents/locale/*/LC_MESSAGES/$(PLASMA_DOMAIN).mo
	-find $(DESTDIR)$(GNOME_EXTDIR) $(DESTDIR)$(PLASMOIDDIR) -depth -type d -empty -delete 2>/dev/null
	rm -f $(DESTDIR)$(DOCDIR)/install.md $(DESTDIR)$(DOCDIR)/gpupassd.conf $(DESTDIR)$(DOCDIR)/50-gpupassd-libvirt.rules.example
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
	@echo "Kept $(CONFDIR)/ and the state in /var/lib/gpupassd (remove them by hand if wanted)."

print-paths:
	@echo "BINDIR=$(BINDIR) PKGDATADIR=$(PKGDATADIR) UNITDIR=$(UNITDIR) DBUS_POLICYDIR=$(DBUS_POLICYDIR) POLKIT_ACTIONDIR=$(POLKIT_ACTIONDIR) DBUS_INTERFACESDIR=$(DBUS_INTERFACESDIR) LIBVIRT_HOOKDIR=$(LIBVIRT_HOOKDIR) CONFDIR=$(CONFDIR) DOCDIR=$(DOCDIR)"
