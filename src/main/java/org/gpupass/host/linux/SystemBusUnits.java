package org.gpupass.host.linux;

import java.io.IOException;
import java.time.Duration;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.UnitControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd on the system bus, connected on first use: the daemon starts (and serves a private
 * {@code --bus}) where no system bus runs, as in a container. Without one, every unit reads as
 * inactive (said once in the log) and stopping or starting a unit fails with EIO.
 */
public final class SystemBusUnits implements UnitControl {
    private static final Logger LOG = LoggerFactory.getLogger(SystemBusUnits.class);

    /** Opens the connection to the system bus. */
    public interface Connector {
        DBusConnection connect() throws DBusException;
    }

    private final Duration jobTimeout;
    private final Connector connector;
    private SystemdUnits units;
    private String unavailable;

    /** @param connector the daemon's passes a connection whose reader bounds what others can send it */
    public SystemBusUnits(Duration jobTimeout, Connector connector) {
        this.jobTimeout = jobTimeout;
        this.connector = connector;
    }

    @Override
    public boolean isActive(String unit) throws IOException {
        SystemdUnits systemd = systemd();
        return systemd != null && systemd.isActive(unit);
    }

    @Override
    public void stop(String unit) throws IOException {
        require(unit).stop(unit);
    }

    @Override
    public void start(String unit) throws IOException {
        require(unit).start(unit);
    }

    private SystemdUnits require(String unit) throws IOException {
        SystemdUnits systemd = systemd();
        if (systemd == null) {
            throw new KernelWriteException(unit, Errno.EIO, "no system bus to reach systemd: " + unavailable);
        }
        return systemd;
    }

    /** The connection, made once; null (and the reason kept) when the system bus cannot be reached. */
    private synchronized SystemdUnits systemd() {
        if (units == null && unavailable == null) {
            try {
                units = new SystemdUnits(connector.connect(), jobTimeout);
            } catch (DBusException | RuntimeException e) {
                unavailable = String.valueOf(e.getMessage());
                LOG.warn("No system bus ({}): systemd units are treated as inactive and cannot be stopped or started",
                        unavailable);
            }
        }
        return units;
    }
}
