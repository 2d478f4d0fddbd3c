package org.gpupass.bus;

import org.freedesktop.dbus.DBusCallInfo;
import org.freedesktop.dbus.connections.AbstractConnection;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.Printable;
import org.gpupass1.Error;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a call that moves GPUs: through the gate, authorized, with core errors turned into wire errors. */
final class Mutations {
    private static final Logger LOG = LoggerFactory.getLogger(Mutations.class);

    /** A core call. */
    interface CoreCall<T> {
        T run() throws GpuPassException;
    }

    private final Authorizer authorizer;
    private final CallGate gate;

    Mutations(Authorizer authorizer, CallGate gate) {
        this.authorizer = authorizer;
        this.gate = gate;
    }

    /** Must be called on the bus library's handler thread: the caller is read from it. */
    <T> T run(String what, CoreCall<T> call) {
        DBusCallInfo info = AbstractConnection.getCallInfo();
        String sender = info == null ? "" : info.getSource();
        return gate.run(() -> {
            authorizer.requireManage(sender, what);
            try {
                return call.run();
            } catch (GpuPassException e) {
                throw Error.of(e);
            } catch (DBusExecutionException e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.error("Internal error in {} for {}", Printable.clip(what), sender, e);
                throw new org.freedesktop.DBus.Error.Failed("Internal error in gpupassd (" + e
                        + "); the journal has details");
            }
        });
    }
}
