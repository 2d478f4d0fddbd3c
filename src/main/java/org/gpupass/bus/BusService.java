package org.gpupass.bus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.freedesktop.dbus.connections.IDisconnectCallback;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBus;
import org.gpupass.bus.wire.DaemonWire;
import org.gpupass.bus.wire.FastReplies;
import org.gpupass.core.GpuService;
import org.gpupass.model.Threads;
import org.gpupass.systemd.SdNotify;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon on the bus: exports the manager and one object per GPU, then owns {@code org.gpupass1},
 * keeps systemd told (READY, STATUS, WATCHDOG, STOPPING) and ends when asked to or when the bus goes away.
 */
public final class BusService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BusService.class);
    /**
     * Threads of dbus-java's pool for incoming method calls. It serves only reads (Get, GetAll,
     * Introspect, Peer, and Plan, which may read the host for some milliseconds): calls that move GPUs
     * never reach it ({@link Mutations}).
     */
    static final int METHOD_THREADS = 2;

    /** Why {@link #awaitEnd()} returned. */
    public enum End {
        /** SIGTERM or close(): exit 0. */
        STOPPED,
        /** The bus connection or the name was lost: exit non-zero so systemd restarts the daemon. */
        BUS_LOST
    }

    private GpuService service;
    private final SdNotify notify;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicReference<End> end = new AtomicReference<>();
    private final ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(Threads.daemon("watchdog"));
    private BusEndpoint endpoint;
    /**
     * The bookkeeping of calls that move GPUs, the replies of the bus and polkit, and their timeouts; a
     * timeout cancelled by its reply leaves the queue at once (else it would stay there for its 5 minutes).
     */
    private final ScheduledExecutorService calls = DaemonWire.callExecutor("bus-calls");
    private final CallTable table = new CallTable();
    private final DaemonWire wire = new DaemonWire(table, calls);
    private DBusConnection connection;
    private BusPublisher publisher;
    private Mutations mutations;
    private FastReplies.Registration fastStatus;
    private volatile String lastStatus = "";
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private BusService(SdNotify notify) {
        this.notify = notify;
    }

    /** Connects, exports, owns the name and tells systemd READY=1: {@link #connect} then {@link #serve}. */
    public static BusService start(GpuService service, String address, SdNotify notify) throws DBusException {
        BusService bus = connect(address, notify);
        bus.serve(service);
        return bus;
    }

    /**
     * Connects to {@code address} (null: the system bus) and authenticates, and fails if another
     * process owns {@code org.gpupass1} there; the daemon does this while it reads the host, and before
     * it opens the state directory that another instance on the same bus would share.
     */
    public static BusService connect(String address, SdNotify notify) throws DBusException {
        BusService bus = new BusService(notify);
        try {
            bus.open(BusEndpoint.of(address));
            bus.refuseIfNameOwned();
        } catch (DBusException | RuntimeException e) {
            if (bus.connection != null) {
                bus.connection.disconnect();
            }
            throw e;
        }
        return bus;
    }

    private void open(BusEndpoint endpoint) throws DBusException {
        this.endpoint = endpoint;
        DBusConnectionBuilder builder = endpoint.builder();
        try {
            connection = connectionOf(builder);
        } catch (DBusException e) {
            throw endpoint.unreachable(e);
        }
    }

    /** Another instance serving this bus: say who, instead of dbus-java's "Failed to register bus name". */
    private void refuseIfNameOwned() throws DBusException {
        Optional<NameOwner> owner = NameOwner.of(connection, BusNames.BUS_NAME);
        if (owner.isPresent()) {
            throw new DBusException(alreadyServed(owner.get(),
                    "this instance stops before it opens its state directory"));
        }
    }

    private String alreadyServed(NameOwner owner, String what) {
        return "another process already owns " + BusNames.BUS_NAME + " on " + endpoint.describe() + ": "
                + owner.describe() + "; " + what + "; is gpupassd running already? (systemctl status gpupassd)";
    }

    private DBusConnection connectionOf(DBusConnectionBuilder builder) throws DBusException {
        wire.takeSignalsFromTheBusOnly();
        return wire.connect(builder.withShared(false)
                .receivingThreadConfig().withMethodCallThreadCount(METHOD_THREADS).withSignalThreadCount(1)
                .connectionConfig()
                .withDisconnectCallback(new IDisconnectCallback() {
                    @Override
                    public void disconnectOnError(IOException e) {
                        if (end.get() != null) {
                            return;
                        }
                        LOG.error("Lost the bus: {}", e == null ? "connection closed" : e.getMessage());
                        finish(End.BUS_LOST);
                    }
                }));
    }

    /** Exports the manager and the GPUs of {@code core}, then requests the name and tells systemd READY=1. */
    public void serve(GpuService core) throws DBusException {
        this.service = core;
        ManagerObject manager = new ManagerObject(service);
        publisher = new BusPublisher(connection, service, this::updateStatus);
        mutations = new Mutations(table, path -> {
            GpuObject gpu = BusNames.MANAGER_PATH.equals(path) ? null : publisher.object(path);
            return BusNames.MANAGER_PATH.equals(path) ? manager::mutation : gpu == null ? null : gpu::mutation;
        },
                new Authorizer(wire, ownUid(), calls), calls, publisher::reply, wire.refusals());
        wire.intercept(mutations);
        connection.exportObject(BusNames.MANAGER_PATH, manager);
        fastStatus = wire.fastReplies().register(BusNames.BUS_NAME, BusNames.MANAGER_PATH,
                BusNames.MANAGER_INTERFACE, "Status", ManagerObject.STATUS_SIGNATURE, manager::statusBody);
        publisher.syncExports();
        service.addListener(publisher);
        publisher.syncExports();
        connection.addSigHandler(DBus.NameLost.class, signal -> {
            // Only the bus can say so (the wire drops other senders' signals; checked here again).
            if (BusNames.BUS_NAME.equals(signal.name) && "org.freedesktop.DBus".equals(signal.getSource())
                    && end.get() == null) {
                LOG.error("Lost the name {} on the bus", BusNames.BUS_NAME);
                finish(End.BUS_LOST);
            }
        });
        try {
            connection.requestBusName(BusNames.BUS_NAME);
        } catch (DBusException e) {
            // Lost a race with an instance that started at the same time, or the bus policy says no.
            Optional<NameOwner> owner = NameOwner.of(connection, BusNames.BUS_NAME);
            throw new DBusException(owner.isPresent()
                    ? alreadyServed(owner.get(), "it took the name while this one started")
                    : "cannot own " + BusNames.BUS_NAME + " on " + endpoint.describe() + ": " + e.getMessage()
                            + " (does the bus policy, dbus-policy/org.gpupass1.conf, let this user own it?)", e);
        }
        LOG.info("On the bus as {} ({}), {} GPU(s)", BusNames.BUS_NAME, connection.getUniqueName(),
                service.gpus().size());
        updateStatus();
        notify.send("READY=1");
        notify.watchdogInterval().ifPresent(every -> watchdog.scheduleAtFixedRate(this::keepAlive,
                0, every.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** The unique name on the bus, e.g. {@code :1.42}. */
    public String uniqueName() {
        return connection.getUniqueName();
    }

    /** Blocks until the daemon is told to stop or loses the bus. */
    public End awaitEnd() throws InterruptedException {
        ended.await();
        return end.get();
    }

    /** Makes {@link #awaitEnd()} return; the first reason given wins. */
    public void finish(End reason) {
        end.compareAndSet(null, reason);
        ended.countDown();
    }

    private void keepAlive() {
        if (service.healthy()) {
            notify.send("WATCHDOG=1");
        } else {
            LOG.error("The transition executor is not healthy: no watchdog keep-alive");
        }
    }

    private void updateStatus() {
        String line = StatusLine.of(service.gpus());
        if (!line.equals(lastStatus)) {
            lastStatus = line;
            notify.send("STATUS=" + line);
        }
    }

    /** Tells systemd STOPPING=1, releases the name and disconnects; a second call does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        finish(End.STOPPED);
        notify.send("STOPPING=1");
        watchdog.shutdownNow();
        if (publisher != null) {
            try {
                publisher.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            publisher.close();
        }
        if (fastStatus != null) {
            fastStatus.close();
        }
        if (mutations != null) {
            mutations.close();
        }
        calls.shutdownNow();
        if (connection != null) {
            try {
                connection.releaseBusName(BusNames.BUS_NAME);
            } catch (DBusException | RuntimeException e) {
                LOG.debug("Releasing the name: {}", e.toString());
            }
            connection.disconnect();
        }
    }

    private static long ownUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }
}
