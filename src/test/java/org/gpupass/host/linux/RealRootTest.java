package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gpupass.model.PciDevice;
import org.gpupass.host.Host;
import org.gpupass.host.NodeHolder;
import org.junit.jupiter.api.Test;

/** Runs the reads on this machine's own root: they must not throw. Prints timings. */
class RealRootTest {

    @Test
    void readsThisMachine() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/sys/bus/pci/devices")), "no PCI sysfs here");
        Host host = LinuxHost.at(Path.of("/"), new RecordingUnits());
        long t0 = System.nanoTime();
        List<PciDevice> devices = host.pci().devices();
        long t1 = System.nanoTime();
        host.pci().devices();
        long t2 = System.nanoTime();
        List<String> nodes = new ArrayList<>();
        for (PciDevice d : devices) {
            nodes.addAll(host.nodes().nodesOf(d.address()));
        }
        nodes.add("/dev/null"); // something surely held, to exercise the match path
        long fds = countFds();
        long t3 = System.nanoTime();
        List<NodeHolder> holders = host.nodes().holders(nodes);
        long t4 = System.nanoTime();
        host.nodes().holders(nodes);
        long t5 = System.nanoTime();
        List<String> gpuNodes = List.of("/dev/dri/card0", "/dev/dri/card1", "/dev/dri/renderD128", "/dev/nvidia0");
        host.nodes().holders(gpuNodes);
        long t6 = System.nanoTime();
        int gpuHolders = host.nodes().holders(gpuNodes).size();
        long t7 = System.nanoTime();
        assertNotNull(host.modules().loaded());
        host.pci().iommuEnabled();
        System.out.printf("real root: %d devices in %.1f ms (again %.1f ms); holders of %d nodes over %d fds: "
                        + "%d found in %.1f ms (again %.1f ms)%n", devices.size(), (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                nodes.size(), fds, holders.size(), (t4 - t3) / 1e6, (t5 - t4) / 1e6);
        System.out.printf("real root: holders of %s: %d found in %.1f ms (first %.1f ms)%n", gpuNodes, gpuHolders,
                (t7 - t6) / 1e6, (t6 - t5) / 1e6);
        devices.forEach(d -> System.out.println("  " + d.address() + " " + d.displayName() + " [" + d.driver() + "]"));
    }

    private static long countFds() throws IOException {
        long n = 0;
        try (var pids = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : pids) {
                try (var fds = Files.newDirectoryStream(p.resolve("fd"))) {
                    for (Path ignored : fds) {
                        n++;
                    }
                } catch (IOException e) {
                    // gone or not ours
                }
            }
        }
        return n;
    }
}
