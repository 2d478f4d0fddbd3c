package org.gpupass.bus;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.GpuListener;
import org.gpupass.model.GpuPassException;
import org.gpupass.core.GpuService;
import org.gpupass.core.GpuStatus;
import org.gpupass.model.Threads;
import org.gpupass1.Manager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the core's change events into signals and object exports. The core calls in on its own
 * thread and must not block, so every event is queued to one thread, which keeps their order. Replies
 * to calls that move GPUs go through the same queue ({@link #reply}): queued once the core has
 * returned, they go out after every signal of the transition they answer.
 */
final class BusPublisher implements GpuListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BusPublisher.class);

    private final DBusConnection connection;
    private final GpuService service;
    private final Runnable onChange;
    /** Written under this object's lock; read by the reader thread too. */
    private final Map<String, GpuObject> exported = new ConcurrentHashMap<>();
    private final ExecutorService queue = Executors.newSingleThreadExecutor(Threads.daemon("bus-signals"));

    /**
     * @param onChange called (on the signal thread) after every change, e.g. to update systemd's STATUS=
     */
    BusPublisher(DBusConnection connection, GpuService service, Runnable onChange) {
        this.connection = connection;
        this.service = service;
        this.onChange = onChange;
    }

    /** Exports an object for every GPU the core knows now and drops those it no longer knows. */
    synchronized boolean syncExports() throws DBusException {
        List<GpuStatus> gpus = service.gpus();
        Set<String> wanted = gpus.stream().map(g -> BusNames.gpuPath(g.address())).collect(Collectors.toSet());
        boolean changed = exported.keySet().removeIf(path -> {
            if (wanted.contains(path)) {
                return false;
            }
            connection.unExportObject(path);
            LOG.info("GPU object {} removed", path);
            return true;
        });
        for (GpuStatus gpu : gpus) {
            String path = BusNames.gpuPath(gpu.address());
            if (!exported.containsKey(path)) {
                // Known before it is exported: a Claim on the object may arrive as soon as it is.
                GpuObject object = new GpuObject(service, gpu);
                exported.put(path, object);
                try {
                    connection.exportObject(path, object);
                } catch (DBusException | RuntimeException e) {
                    exported.remove(path);
                    throw e;
                }
                changed = true;
            }
        }
        return changed;
    }

    /** The GPU object exported at {@code path}, or null. */
    GpuObject object(String path) {
        return exported.get(path);
    }

    /** Sends a reply once every event queued before it has gone out. */
    void reply(Message reply) {
        try {
            queue.execute(() -> send(() -> reply));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("Not sending a reply: the daemon is stopping");
        }
    }

    @Override
    public void gpuChanged(GpuStatus before, GpuStatus after, String holder) {
        queue.execute(() -> {
            Map<String, Variant<?>> changed = GpuProperties.changed(before, after);
            if (!changed.isEmpty()) {
                send(propertiesChanged(BusNames.gpuPath(after.address()), BusNames.GPU_INTERFACE, changed));
            }
            if (before != null && before.state() != after.state()) {
                send(() -> new Manager.StateChanged(BusNames.MANAGER_PATH, new DBusPath(BusNames.gpuPath(after.address())),
                        after.address().toString(), before.state().word(), after.state().word(), holder));
            }
            onChange.run();
        });
    }

    @Override
    public void gpuSetChanged() {
        queue.execute(() -> {
            try {
                if (syncExports()) {
                    send(propertiesChanged(BusNames.MANAGER_PATH, BusNames.MANAGER_INTERFACE,
                            Map.of("Gpus", new Variant<>(ManagerObject.paths(service.gpus()), "ao"))));
                }
            } catch (DBusException e) {
                LOG.error("Could not export the GPU objects: {}", e.getMessage());
            }
            onChange.run();
        });
    }

    @Override
    public void transitionFailed(GpuStatus gpu, GpuPassException error) {
        queue.execute(() -> send(() -> new Manager.TransitionFailed(BusNames.MANAGER_PATH,
                new DBusPath(BusNames.gpuPath(gpu.address())), gpu.address().toString(), org.gpupass1.Error.nameOf(error.kind()),
                error.getMessage())));
    }

    @Override
    public void transitionChanged(String text) {
        queue.execute(() -> send(propertiesChanged(BusNames.MANAGER_PATH, BusNames.MANAGER_INTERFACE,
                Map.of("Transition", new Variant<>(text)))));
    }

    /** Waits until every queued event has been sent. */
    void flush() throws InterruptedException {
        try {
            queue.submit(() -> { }).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("Signals not flushed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        queue.shutdown();
        try {
            queue.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A message to build and send; building a signal can fail on a malformed value. */
    private interface SignalSource {
        Message build() throws DBusException;
    }

    private static SignalSource propertiesChanged(String path, String iface, Map<String, Variant<?>> changed) {
        return () -> new Properties.PropertiesChanged(path, iface, changed, List.of());
    }

    private void send(SignalSource source) {
        try {
            connection.sendMessage(source.build());
        } catch (DBusException | RuntimeException e) {
            LOG.warn("Could not send a message: {}", e.toString());
        }
    }
}
