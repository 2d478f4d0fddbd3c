#!/usr/bin/python3
"""A stand-in org.gpupass1 owner for bus-policy tests (not the daemon).

Usage: fake-gpupass-service.py ADDRESS
Owns org.gpupass1 on the bus at ADDRESS, prints "ready" when it owns it (or
"denied: <error>" and exits 3), serves /org/gpupass1 org.gpupass1.Manager:
Status() -> aa{sv} (empty), Claim(ss) -> o (emits StateChanged first),
ClaimDomain(ss) -> ao and ReleaseDomain(s) -> ao, which write their arguments to
$FAKE_RECORD_DIR/<method>.domain and <method>.xml (UTF-8) and fail with
org.gpupass1.Error.InUse for a domain named "fail-vm".
Needs python3-dbus and python3-gi.
"""
import os
import sys
import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.gpupass1.Manager"
GPU = "/org/gpupass1/gpu/pci_0000_01_00_0"


class InUse(dbus.exceptions.DBusException):
    _dbus_error_name = "org.gpupass1.Error.InUse"


class Manager(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature="", out_signature="aa{sv}")
    def Status(self):
        return dbus.Array([], signature="a{sv}")

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def Claim(self, device, holder):
        self.StateChanged(GPU, "0000:01:00.0", "host", "vfio", holder)
        return dbus.ObjectPath(GPU)

    def _record(self, method, domain, xml=None):
        d = os.environ.get("FAKE_RECORD_DIR")
        if d:
            with open(os.path.join(d, method + ".domain"), "wb") as f:
                f.write(domain.encode("utf-8"))
            if xml is not None:
                with open(os.path.join(d, method + ".xml"), "wb") as f:
                    f.write(xml.encode("utf-8"))
        if domain == "fail-vm":
            raise InUse("GPU 0000:01:00.0 is in use: pid 1234 Xorg (sddm.service)")

    @dbus.service.method(IFACE, in_signature="ss", out_signature="ao")
    def ClaimDomain(self, domain, xml):
        self._record("ClaimDomain", domain, xml)
        return dbus.Array([dbus.ObjectPath(GPU)], signature="o")

    @dbus.service.method(IFACE, in_signature="s", out_signature="ao")
    def ReleaseDomain(self, domain):
        self._record("ReleaseDomain", domain)
        return dbus.Array([dbus.ObjectPath(GPU)], signature="o")

    @dbus.service.signal(IFACE, signature="ossss")
    def StateChanged(self, gpu, address, old, new, holder):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(sys.argv[1])
    try:
        name = dbus.service.BusName("org.gpupass1", bus, do_not_queue=True)
    except dbus.exceptions.DBusException as e:
        print("denied: %s" % e.get_dbus_name(), flush=True)
        sys.exit(3)
    Manager(bus, "/org/gpupass1")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
