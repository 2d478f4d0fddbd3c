package org.gpupass.host.linux;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;

/** The part of systemd's {@code org.freedesktop.systemd1.Manager} interface that {@link SystemdUnits} uses. */
@DBusInterfaceName("org.freedesktop.systemd1.Manager")
public interface SystemdManager extends DBusInterface {

    /** Well-known name of systemd on the system bus. */
    String BUS_NAME = "org.freedesktop.systemd1";
    /** The manager object. */
    String OBJECT_PATH = "/org/freedesktop/systemd1";
    /** Interface of unit objects, which carries {@code ActiveState}. */
    String UNIT_INTERFACE = "org.freedesktop.systemd1.Unit";
    /** Error systemd answers for a unit that is not loaded. */
    String NO_SUCH_UNIT = "org.freedesktop.systemd1.NoSuchUnit";

    /** Queues a stop job; returns the job object. */
    DBusPath StopUnit(String name, String mode);

    /** Queues a start job; returns the job object. */
    DBusPath StartUnit(String name, String mode);

    /** The object of a loaded unit; error {@code NoSuchUnit} when it is not loaded. */
    DBusPath GetUnit(String name);

    /** Asks systemd to emit its signals (JobRemoved among them) while this client is connected. */
    void Subscribe();

    /** A job finished; {@code result} is {@code done} on success. */
    class JobRemoved extends DBusSignal {
        private final UInt32 id;
        private final DBusPath job;
        private final String unit;
        private final String result;

        public JobRemoved(String path, UInt32 id, DBusPath job, String unit, String result) throws DBusException {
            super(path, id, job, unit, result);
            this.id = id;
            this.job = job;
            this.unit = unit;
            this.result = result;
        }

        public UInt32 getId() {
            return id;
        }

        public DBusPath getJob() {
            return job;
        }

        public String getUnit() {
            return unit;
        }

        public String getResult() {
            return result;
        }
    }
}
