package org.gpupass.host.linux;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.freedesktop.dbus.DBusAsyncReply;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.model.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.UnitControl;

/**
 * systemd units over D-Bus: {@code StartUnit}/{@code StopUnit} with mode {@code replace}, then a wait
 * for the job's {@code JobRemoved} signal; {@code GetUnit} plus the unit's {@code ActiveState}.
 *
 * <p>The signal handler is installed before the job is queued, so a job that finishes before the
 * call returns is not missed, and only signals sent by the current owner of
 * {@code org.freedesktop.systemd1} count. Failures are {@link KernelWriteException}s named after the
 * unit: a job result other than {@code done} is EIO, no signal in time is ETIMEDOUT, a unit systemd
 * does not know is ENOENT.
 */
public final class SystemdUnits implements UnitControl {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdUnits.class);

    private static final Set<String> ACTIVE = Set.of("active", "activating", "reloading");
    private static final long CALL_TIMEOUT_MS = 25_000;

    private final DBusConnection bus;
    private final Duration jobTimeout;
    private final SystemdManager manager;
    private volatile boolean subscribed;

    /**
     * @param bus        the system bus in production
     * @param jobTimeout how long to wait for a job to finish
     */
    public SystemdUnits(DBusConnection bus, Duration jobTimeout) throws DBusException {
        this.bus = Objects.requireNonNull(bus, "bus");
        this.jobTimeout = Objects.requireNonNull(jobTimeout, "jobTimeout");
        this.manager = bus.getRemoteObject(SystemdManager.BUS_NAME, SystemdManager.OBJECT_PATH, SystemdManager.class);
    }

    /** Whether a unit name is acceptable ({@link Names#unit}): the configuration's rule. */
    public static boolean validUnit(String unit) {
        return Names.unit(unit);
    }

    @Override
    public boolean isActive(String unit) throws IOException {
        check(unit);
        DBusPath path;
        try {
            path = call(unit, DBusPath.class, "GetUnit", unit);
        } catch (KernelWriteException e) {
            if (e.errno() == Errno.ENOENT && e.getMessage().contains(SystemdManager.NO_SUCH_UNIT)) {
                return false; // not loaded, so not active
            }
            throw e;
        }
        try {
            Properties props = bus.getRemoteObject(SystemdManager.BUS_NAME, path.getPath(), Properties.class);
            Object state = props.Get(SystemdManager.UNIT_INTERFACE, "ActiveState");
            if (state instanceof Variant<?> v) {
                state = v.getValue();
            }
            return ACTIVE.contains(String.valueOf(state));
        } catch (DBusException | DBusExecutionException e) {
            throw new KernelWriteException(unit, Errno.EIO, "ActiveState: " + e.getMessage());
        }
    }

    @Override
    public void stop(String unit) throws IOException {
        check(unit);
        runJob(unit, "StopUnit");
    }

    @Override
    public void start(String unit) throws IOException {
        check(unit);
        runJob(unit, "StartUnit");
    }

    private void runJob(String unit, String method) throws IOException {
        subscribeOnce();
        String owner;
        try {
            owner = bus.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class)
                    .GetNameOwner(SystemdManager.BUS_NAME);
        } catch (DBusException | DBusExecutionException e) {
            throw new KernelWriteException(unit, Errno.EIO, "systemd is not on the bus: " + e.getMessage());
        }
        Map<String, CompletableFuture<String>> results = new ConcurrentHashMap<>();
        AutoCloseable handler;
        try {
            handler = bus.addSigHandler(SystemdManager.JobRemoved.class, sig -> {
                if (owner.equals(sig.getSource())) {
                    results.computeIfAbsent(sig.getJob().getPath(), k -> new CompletableFuture<>())
                            .complete(sig.getResult());
                }
            });
        } catch (DBusException e) {
            throw new KernelWriteException(unit, Errno.EIO, "cannot watch systemd jobs: " + e.getMessage());
        }
        try {
            DBusPath job = call(unit, DBusPath.class, method, unit, "replace");
            LOG.debug("{}: job {} queued", unit, job.getPath());
            String result = results.computeIfAbsent(job.getPath(), k -> new CompletableFuture<>())
                    .get(jobTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!"done".equals(result)) {
                throw new KernelWriteException(unit, Errno.EIO, "job result: " + result);
            }
        } catch (TimeoutException e) {
            throw new KernelWriteException(unit, Errno.ETIMEDOUT,
                    "job did not finish within " + jobTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new KernelWriteException(unit, Errno.EIO, String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the job of " + unit);
        } finally {
            try {
                handler.close();
            } catch (Exception e) {
                LOG.debug("removing the JobRemoved handler: {}", e.toString());
            }
        }
    }

    /** Without a subscriber systemd may not broadcast JobRemoved; a failure here is not fatal. */
    private void subscribeOnce() {
        if (subscribed) {
            return;
        }
        try {
            manager.Subscribe();
            subscribed = true;
        } catch (DBusExecutionException e) {
            LOG.debug("systemd Subscribe failed: {}", e.getMessage());
        }
    }

    private static void check(String unit) throws KernelWriteException {
        if (!validUnit(unit)) {
            throw new KernelWriteException(String.valueOf(unit), Errno.EINVAL, "not a unit name");
        }
    }

    /**
     * Calls a manager method and returns its reply. Goes through the reply message rather than the
     * proxy because dbus-java 5.2.0 turns an error whose name has no Java class into a bare
     * DBusExecutionException and loses the name (NoSuchUnit must be told from other errors).
     */
    private <T> T call(String unit, Class<T> type, String method, Object... args) throws KernelWriteException {
        try {
            DBusAsyncReply<?> pending = bus.callMethodAsync(manager, method, args);
            Message answer = pending.getCall().getReply(CALL_TIMEOUT_MS);
            if (answer == null) {
                throw new KernelWriteException(unit, Errno.ETIMEDOUT, "no reply to " + method + " within "
                        + CALL_TIMEOUT_MS + " ms");
            }
            if (answer instanceof org.freedesktop.dbus.messages.Error error) {
                throw failure(unit, error.getName(), error.getException().getMessage());
            }
            return type.cast(pending.getReply());
        } catch (DBusException | DBusExecutionException | ClassCastException e) {
            throw new KernelWriteException(unit, Errno.EIO, method + ": " + e.getMessage());
        }
    }

    /** NoSuchUnit and LoadFailed are ENOENT, AccessDenied EACCES, anything else EIO; the name is kept in the text. */
    private static KernelWriteException failure(String unit, String name, String message) {
        Errno errno = switch (name) {
            case SystemdManager.NO_SUCH_UNIT, "org.freedesktop.systemd1.LoadFailed" -> Errno.ENOENT;
            case "org.freedesktop.DBus.Error.AccessDenied",
                    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired" -> Errno.EACCES;
            default -> Errno.EIO;
        };
        return new KernelWriteException(unit, errno, name + ": " + message);
    }
}
