package org.gpupass.bus;

import java.util.Map;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/** The one polkit call the daemon makes, on {@code /org/freedesktop/PolicyKit1/Authority}. */
@DBusInterfaceName("org.freedesktop.PolicyKit1.Authority")
@SuppressWarnings("checkstyle:methodname")
public interface PolkitAuthority extends DBusInterface {
    String BUS_NAME = "org.freedesktop.PolicyKit1";
    String PATH = "/org/freedesktop/PolicyKit1/Authority";
    /** CheckAuthorizationFlags: let an authentication agent ask the user. */
    int ALLOW_USER_INTERACTION = 1;

    Result CheckAuthorization(Subject subject, String actionId, Map<String, String> details, UInt32 flags,
                              String cancellationId);

    /** {@code (sa{sv})}: e.g. {@code ("system-bus-name", {"name": <":1.42">})}. */
    final class Subject extends Struct {
        @Position(0)
        public final String kind;
        @Position(1)
        public final Map<String, Variant<?>> details;

        public Subject(String kind, Map<String, Variant<?>> details) {
            this.kind = kind;
            this.details = details;
        }

        public static Subject busName(String uniqueName) {
            return new Subject("system-bus-name", Map.of("name", new Variant<>(uniqueName)));
        }
    }

    /** {@code (bba{ss})}: is_authorized, is_challenge, details. */
    final class Result extends Struct {
        @Position(0)
        public final boolean authorized;
        @Position(1)
        public final boolean challenge;
        @Position(2)
        public final Map<String, String> details;

        public Result(boolean authorized, boolean challenge, Map<String, String> details) {
            this.authorized = authorized;
            this.challenge = challenge;
            this.details = details;
        }
    }
}
