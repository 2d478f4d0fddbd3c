package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gpupass.model.PciAddress;
import org.gpupass.host.DeviceNodes;
import org.gpupass.host.NodeHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A function's device nodes from its sysfs directory ({@code drm/}, {@code sound/}) and, for nvidia,
 * {@code /proc/driver/nvidia}; their holders from {@code /proc/PID/fd}; /dev paths watched with inotify.
 */
final class SysfsDeviceNodes implements DeviceNodes {
    private static final Logger LOG = LoggerFactory.getLogger(SysfsDeviceNodes.class);
    private static final Pattern DRM_NODE = Pattern.compile("(card|renderD)[0-9]+");
    private static final Pattern SOUND_CARD = Pattern.compile("card[0-9]+");
    private static final Pattern SOUND_NODE = Pattern.compile("(controlC|pcmC|hwC)[0-9]+[A-Za-z0-9]*");
    private static final Pattern NVIDIA_MINOR = Pattern.compile("Device Minor:\\s*([0-9]+)\\s*");

    private final SysfsTree tree;
    private final ProcScanner procScanner;

    SysfsDeviceNodes(SysfsTree tree) {
        this.tree = tree;
        this.procScanner = new ProcScanner(tree.under("/proc"));
    }

    @Override
    public List<String> nodesOf(PciAddress function) throws IOException {
        Path dir = tree.under("/sys/bus/pci/devices/" + function);
        List<String> nodes = new ArrayList<>();
        for (String n : SysfsTree.listNames(dir.resolve("drm"))) {
            if (DRM_NODE.matcher(n).matches()) {
                nodes.add("/dev/dri/" + n);
            }
        }
        for (String card : SysfsTree.listNames(dir.resolve("sound"))) {
            if (SOUND_CARD.matcher(card).matches()) {
                for (String n : SysfsTree.listNames(dir.resolve("sound").resolve(card))) {
                    if (SOUND_NODE.matcher(n).matches()) {
                        nodes.add("/dev/snd/" + n);
                    }
                }
            }
        }
        Path info = tree.under("/proc/driver/nvidia/gpus/" + function + "/information");
        if (Files.isRegularFile(info)) {
            try {
                for (String line : Files.readAllLines(info, StandardCharsets.ISO_8859_1)) {
                    Matcher m = NVIDIA_MINOR.matcher(line);
                    if (m.matches()) {
                        nodes.add("/dev/nvidia" + Integer.parseInt(m.group(1)));
                        break;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                LOG.warn("{}: cannot read the device minor ({})", info, e.toString());
            }
        }
        nodes.sort(null);
        return nodes;
    }

    @Override
    public List<NodeHolder> holders(Collection<String> nodes) throws IOException {
        return procScanner.holders(nodes);
    }

    @Override
    public boolean exists(String devPath) {
        return Files.exists(devFile(devPath));
    }

    @Override
    public boolean awaitPath(String devPath, Duration timeout) throws InterruptedException {
        return PathWatcher.await(devFile(devPath), timeout);
    }

    /** A /dev path under the root; IllegalArgumentException for anything else. */
    private Path devFile(String devPath) {
        if (devPath == null || !devPath.startsWith("/dev/") || devPath.contains("/../") || devPath.endsWith("/..")
                || devPath.contains("/./") || devPath.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a /dev path: " + devPath);
        }
        return tree.under(devPath);
    }

}
