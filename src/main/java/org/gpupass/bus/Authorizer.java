package org.gpupass.bus;

import java.util.Map;
import org.freedesktop.DBus.Error.AccessDenied;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.errors.ServiceUnknown;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.types.UInt32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a caller may move GPUs: uid 0 (or the daemon's own uid), else polkit's
 * {@code org.gpupass1.manage} for the caller's bus name; with no polkit on the bus, nobody else.
 * Asks the bus and polkit on every call and caches nothing.
 */
final class Authorizer {
    private static final Logger LOG = LoggerFactory.getLogger(Authorizer.class);

    private final DBusConnection connection;
    private final long ownUid;

    Authorizer(DBusConnection connection, long ownUid) {
        this.connection = connection;
        this.ownUid = ownUid;
    }

    /** Returns normally when {@code sender} may run {@code what}; otherwise throws AccessDenied. */
    void requireManage(String sender, String what) {
        long uid = uidOf(sender);
        if (uid == 0 || uid == ownUid) {
            return;
        }
        PolkitAuthority.Result result;
        try {
            PolkitAuthority polkit = connection.getRemoteObject(PolkitAuthority.BUS_NAME, PolkitAuthority.PATH,
                    PolkitAuthority.class);
            result = polkit.CheckAuthorization(PolkitAuthority.Subject.busName(sender), BusNames.MANAGE_ACTION,
                    Map.of(), new UInt32(PolkitAuthority.ALLOW_USER_INTERACTION), "");
        } catch (ServiceUnknown e) {
            LOG.info("Refused {} to uid {} ({}): not root, and no polkit on the bus", what, uid, sender);
            throw new AccessDenied("Only root may " + what + " (uid " + uid + " is not, and polkit is not running"
                    + " to authorize " + BusNames.MANAGE_ACTION + ")");
        } catch (DBusException | DBusExecutionException e) {
            LOG.warn("Refused {} to uid {} ({}): the polkit check failed: {}", what, uid, sender, e.getMessage());
            throw new AccessDenied("Not authorized to " + what + ": the polkit check for " + BusNames.MANAGE_ACTION
                    + " failed (" + e.getMessage() + ")");
        }
        if (!result.authorized) {
            LOG.info("Refused {} to uid {} ({}): polkit said no", what, uid, sender);
            throw new AccessDenied("Not authorized to " + what + ": uid " + uid + " lacks polkit authorization for "
                    + BusNames.MANAGE_ACTION + (result.challenge ? " (authentication needed; run it with an"
                    + " authentication agent, e.g. pkttyagent, or as root)" : ""));
        }
    }

    private long uidOf(String sender) {
        try {
            DBus bus = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            UInt32 uid = bus.GetConnectionUnixUser(sender);
            return uid.longValue();
        } catch (DBusException | DBusExecutionException e) {
            throw new AccessDenied("Cannot tell who is calling (" + sender + "): " + e.getMessage());
        }
    }
}
