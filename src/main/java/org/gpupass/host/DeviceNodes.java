package org.gpupass.host;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.gpupass.model.PciAddress;

/** The device nodes under /dev that belong to PCI functions, and the processes holding them open. */
public interface DeviceNodes {

    /**
     * The device nodes that belong to this one function now: {@code /dev/dri/cardN},
     * {@code /dev/dri/renderDN}, {@code /dev/nvidiaN}, {@code /dev/snd/*}. Driver-wide nodes such as
     * {@code /dev/nvidiactl} are not included.
     */
    List<String> nodesOf(PciAddress function) throws IOException;

    /** Processes that have any of these nodes open, one entry per (process, node). */
    List<NodeHolder> holders(Collection<String> nodes) throws IOException;

    /** Whether a path under /dev exists, e.g. {@code /dev/vfio/1}. */
    boolean exists(String devPath);

    /**
     * Waits until a /dev path exists, by watching rather than sleeping where the host allows.
     *
     * @return whether it exists at return
     */
    boolean awaitPath(String devPath, Duration timeout) throws InterruptedException;
}
