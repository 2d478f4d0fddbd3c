package org.gpupass.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gpupass.core.PciAddress;
import org.gpupass.core.PciDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.gpupass.model.Names;

/**
 * The real host: sysfs, /dev and /proc read and written under a root directory ({@code /} on a real
 * machine, a directory tree in tests), systemd units through a {@link UnitControl}.
 *
 * <p>This is the one class that knows sysfs paths. Paths in exceptions and in returned device nodes
 * are spelled as on the real machine ({@code /sys/bus/pci/drivers/nvidia/unbind}, {@code /dev/dri/card1}),
 * without the root.
 *
 * <p>Reading devices never fails because of one bad value. A device whose address, vendor, device or
 * class cannot be read or parsed is left out; a bad driver, driver_override, iommu_group, boot_vga or
 * consumer link gives that field its empty value. Either way one WARN line names the path.
 *
 * <p>Module loading and unloading act on the running kernel whatever the root: only
 * {@code /proc/modules} and the drivers' {@code module} links are read under it.
 */
public final class SysfsHost implements Host {
    private static final Logger LOG = LoggerFactory.getLogger(SysfsHost.class);

    private static final Pattern SYSFS_ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]");
    private static final Pattern HEX = Pattern.compile("0x([0-9a-fA-F]{1,8})");
    private static final Pattern DRM_NODE = Pattern.compile("(card|renderD)[0-9]+");
    private static final Pattern SOUND_CARD = Pattern.compile("card[0-9]+");
    private static final Pattern SOUND_NODE = Pattern.compile("(controlC|pcmC|hwC)[0-9]+[A-Za-z0-9]*");
    private static final Pattern NVIDIA_MINOR = Pattern.compile("Device Minor:\\s*([0-9]+)\\s*");
    private static final String CONSUMER = "consumer:pci:";
    private static final Pattern VTCON = Pattern.compile("vtcon([0-9]{1,4})");
    private static final Pattern FIRMWARE_FB = Pattern.compile("(efi|simple|vesa)-framebuffer\\.[0-9]{1,4}");

    private final Path root;
    private final UnitControl units;
    private final PciIds pciIds;
    private final ProcScanner procScanner;
    private final KernelModules modules;

    /**
     * @param root  where sysfs, /dev and /proc are found: {@code /} on a real host
     * @param units systemd unit control (the system bus in production)
     */
    public SysfsHost(Path root, UnitControl units) {
        this.root = Objects.requireNonNull(root, "root");
        this.units = Objects.requireNonNull(units, "units");
        this.pciIds = PciIds.under(root);
        this.procScanner = new ProcScanner(under("/proc"));
        this.modules = new KernelModules(under("/proc/modules"));
    }

    /** The root everything is read under. */
    public Path root() {
        return root;
    }

    // ---- reading devices -------------------------------------------------------------------

    @Override
    public List<PciDevice> pciDevices() throws IOException {
        Path devices = under("/sys/bus/pci/devices");
        List<Raw> raws = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(devices)) {
            for (Path entry : entries) {
                Raw raw = readDevice(entry);
                if (raw != null) {
                    raws.add(raw);
                }
            }
        } catch (NoSuchFileException e) {
            LOG.warn("{} does not exist: no PCI devices", devices);
            return List.of();
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        Set<Integer> keys = new HashSet<>();
        for (Raw r : raws) {
            keys.add(PciIds.key(r.vendor, r.device));
        }
        Map<Integer, String> names = pciIds.names(keys);
        List<PciDevice> out = new ArrayList<>(raws.size());
        for (Raw r : raws) {
            out.add(new PciDevice(r.address, r.vendor, r.device, r.classCode, names.get(PciIds.key(r.vendor, r.device)),
                    r.driver, r.override, r.group, r.bootVga, r.consumers));
        }
        out.sort(Comparator.comparing(PciDevice::address));
        return out;
    }

    @Override
    public Optional<String> driverOf(PciAddress function) {
        Path dir = under("/sys/bus/pci/devices").resolve(function.toString());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        return Optional.of(driverLink(dir));
    }

    /** The name the device's {@code driver} link points to; "" for none or an unexpected name. */
    private static String driverLink(Path dir) {
        String driver = linkName(dir.resolve("driver"));
        if (!driver.isEmpty() && !Names.driver(driver)) {
            LOG.warn("{}: unexpected driver link '{}', treated as no driver", dir.resolve("driver"), driver);
            return "";
        }
        return driver;
    }

    private record Raw(PciAddress address, int vendor, int device, int classCode, String driver, String override,
                       int group, boolean bootVga, List<PciAddress> consumers) {
    }

    /** One device directory, or null (with a WARN) when its identity cannot be read. */
    private Raw readDevice(Path dir) {
        String name = dir.getFileName().toString();
        if (!SYSFS_ADDRESS.matcher(name).matches()) {
            LOG.warn("{}: not a PCI address, device skipped", dir);
            return null;
        }
        PciAddress address = PciAddress.tryParse(name);
        // each read stops at the first bad value, so a skipped device gives one WARN line
        Integer vendor = readHex(dir.resolve("vendor"), 0xffff);
        Integer device = vendor == null ? null : readHex(dir.resolve("device"), 0xffff);
        Integer classCode = device == null ? null : readHex(dir.resolve("class"), 0xffffff);
        if (address == null || classCode == null) {
            return null; // readHex logged the path
        }
        String driver = driverLink(dir);
        return new Raw(address, vendor, device, classCode, driver, readOverride(dir.resolve("driver_override")),
                readGroup(dir.resolve("iommu_group")), readBootVga(dir.resolve("boot_vga")), readConsumers(dir));
    }

    /** A {@code 0x...} value no larger than max, or null with a WARN. */
    private static Integer readHex(Path file, int max) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1).strip();
        } catch (IOException e) {
            LOG.warn("{}: cannot read ({}), device skipped", file, e.toString());
            return null;
        }
        Matcher m = HEX.matcher(text);
        if (m.matches()) {
            long v = Long.parseLong(m.group(1), 16);
            if (v <= max) {
                return (int) v;
            }
        }
        LOG.warn("{}: malformed value '{}', device skipped", file, clip(text));
        return null;
    }

    private static String readOverride(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1).strip();
        } catch (NoSuchFileException e) {
            return ""; // kernels before 3.16 have no driver_override
        } catch (IOException e) {
            LOG.warn("{}: cannot read ({}), taken as no override", file, e.toString());
            return "";
        }
        if (text.isEmpty() || text.equals("(null)")) {
            return "";
        }
        if (!Names.driver(text)) {
            LOG.warn("{}: malformed value '{}', taken as no override", file, clip(text));
            return "";
        }
        return text;
    }

    private static int readGroup(Path link) {
        String group = linkName(link);
        if (group.isEmpty()) {
            return -1;
        }
        try {
            int n = Integer.parseInt(group);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // logged below
        }
        LOG.warn("{}: malformed group '{}', taken as no group", link, clip(group));
        return -1;
    }

    private static boolean readBootVga(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1).strip().equals("1");
        } catch (NoSuchFileException e) {
            return false; // only VGA-class devices have boot_vga
        } catch (IOException e) {
            LOG.warn("{}: cannot read ({}), taken as not the boot display", file, e.toString());
            return false;
        }
    }

    /** Devices linked as {@code consumer:pci:DDDD:BB:SS.F} (drivers/base/core.c device links). */
    private static List<PciAddress> readConsumers(Path dir) {
        List<PciAddress> out = new ArrayList<>();
        try (DirectoryStream<Path> links = Files.newDirectoryStream(dir, CONSUMER + "*")) {
            for (Path link : links) {
                String text = link.getFileName().toString().substring(CONSUMER.length());
                PciAddress a = SYSFS_ADDRESS.matcher(text).matches() ? PciAddress.tryParse(text) : null;
                if (a == null) {
                    LOG.warn("{}: malformed consumer link name, ignored", link);
                } else {
                    out.add(a);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            LOG.warn("{}: cannot list consumer links ({}), taken as none", dir, e.toString());
            out.clear();
        }
        out.sort(null);
        return out;
    }

    /** The basename of a symlink's target, "" when there is no link; a WARN when it is not a link. */
    private static String linkName(Path link) {
        try {
            Path target = Files.readSymbolicLink(link);
            Path name = target.getFileName();
            return name == null ? "" : name.toString();
        } catch (NoSuchFileException e) {
            return "";
        } catch (NotLinkException e) {
            LOG.warn("{}: not a symlink, ignored", link);
            return "";
        } catch (IOException e) {
            LOG.warn("{}: cannot read link ({}), ignored", link, e.toString());
            return "";
        }
    }

    @Override
    public boolean iommuEnabled() throws IOException {
        Path groups = under("/sys/kernel/iommu_groups");
        if (!Files.isDirectory(groups)) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(groups)) {
            return entries.iterator().hasNext();
        }
    }

    // ---- device nodes and holders ------------------------------------------------------------

    @Override
    public List<String> deviceNodes(PciAddress function) throws IOException {
        Path dir = under("/sys/bus/pci/devices/" + function);
        List<String> nodes = new ArrayList<>();
        for (String n : listNames(dir.resolve("drm"))) {
            if (DRM_NODE.matcher(n).matches()) {
                nodes.add("/dev/dri/" + n);
            }
        }
        for (String card : listNames(dir.resolve("sound"))) {
            if (SOUND_CARD.matcher(card).matches()) {
                for (String n : listNames(dir.resolve("sound").resolve(card))) {
                    if (SOUND_NODE.matcher(n).matches()) {
                        nodes.add("/dev/snd/" + n);
                    }
                }
            }
        }
        Path info = under("/proc/driver/nvidia/gpus/" + function + "/information");
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

    /** Sorted entry names of a directory, none when it does not exist. */
    private static List<String> listNames(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                names.add(e.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return names; // the device or card went away meanwhile
        } catch (DirectoryIteratorException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return names;
            }
            throw e.getCause();
        }
        names.sort(null);
        return names;
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
        return under(devPath);
    }

    // ---- modules -------------------------------------------------------------------------------

    @Override
    public Map<String, ModuleInfo> modules() throws IOException {
        return modules.loaded();
    }

    /** Empty when the driver is unknown or built in, or its module is not in /proc/modules. */
    @Override
    public Optional<String> moduleOfDriver(String driver) throws IOException {
        if (!Names.driver(driver)) {
            return Optional.empty();
        }
        String module = linkName(under("/sys/bus/pci/drivers/" + driver + "/module"));
        if (module.isEmpty() || !modules.loaded().containsKey(module)) {
            return Optional.empty();
        }
        return Optional.of(module);
    }

    @Override
    public void loadModule(String module) throws IOException {
        modules.load(module);
    }

    @Override
    public void unloadModule(String module) throws IOException {
        modules.unload(module);
    }

    // ---- kernel writes -------------------------------------------------------------------------

    @Override
    public void setDriverOverride(PciAddress function, String driver) throws IOException {
        String path = "/sys/bus/pci/devices/" + function + "/driver_override";
        if (driver == null || driver.isEmpty()) {
            write(path, "\n");
        } else {
            checkDriver(path, driver);
            write(path, driver);
        }
    }

    @Override
    public void unbind(PciAddress function, String driver) throws IOException {
        String path = "/sys/bus/pci/drivers/" + driver + "/unbind";
        checkDriver(path, driver);
        write(path, function.toString());
    }

    @Override
    public void driversProbe(PciAddress function) throws IOException {
        write("/sys/bus/pci/drivers_probe", function.toString());
    }

    @Override
    public void bind(PciAddress function, String driver) throws IOException {
        String path = "/sys/bus/pci/drivers/" + driver + "/bind";
        checkDriver(path, driver);
        write(path, function.toString());
    }

    @Override
    public void remove(PciAddress function) throws IOException {
        write("/sys/bus/pci/devices/" + function + "/remove", "1");
    }

    @Override
    public void rescan() throws IOException {
        write("/sys/bus/pci/rescan", "1");
    }

    private void write(String kernelPath, String text) throws KernelWriteException {
        LOG.debug("write {} <- '{}'", kernelPath, text.strip());
        KernelFiles.write(under(kernelPath), kernelPath, text);
    }


    private static void checkDriver(String path, String driver) throws KernelWriteException {
        if (!Names.driver(driver)) {
            throw new KernelWriteException(path, Errno.EINVAL, "not a driver name: '" + clip(String.valueOf(driver)) + "'");
        }
    }

    // ---- virtual consoles and firmware framebuffers ----------------------------------------------

    /** A vtcon whose {@code bind} or {@code name} cannot be read is left out, with a WARN. */
    @Override
    public List<String> framebufferConsoles() throws IOException {
        Path dir = under("/sys/class/vtconsole");
        List<String> out = new ArrayList<>();
        for (String name : listNames(dir)) {
            if (!VTCON.matcher(name).matches()) {
                continue;
            }
            try {
                String bind = Files.readString(dir.resolve(name).resolve("bind"), StandardCharsets.ISO_8859_1).strip();
                String what = Files.readString(dir.resolve(name).resolve("name"), StandardCharsets.ISO_8859_1);
                if (bind.equals("1") && what.contains("frame buffer")) {
                    out.add(name);
                }
            } catch (NoSuchFileException e) {
                // unregistered meanwhile
            } catch (IOException e) {
                LOG.warn("{}: cannot read ({}), taken as not a bound framebuffer console", dir.resolve(name), e.toString());
            }
        }
        out.sort(Comparator.comparingInt((String n) -> n.length()).thenComparing(Comparator.naturalOrder()));
        return out;
    }

    @Override
    public void unbindConsole(String vtcon) throws IOException {
        String path = "/sys/class/vtconsole/" + vtcon + "/bind";
        checkName(path, vtcon, VTCON);
        write(path, "0");
    }

    @Override
    public void bindConsole(String vtcon) throws IOException {
        String path = "/sys/class/vtconsole/" + vtcon + "/bind";
        checkName(path, vtcon, VTCON);
        write(path, "1");
    }

    @Override
    public List<Framebuffer> firmwareFramebuffers() throws IOException {
        Path dir = under("/sys/bus/platform/devices");
        List<Framebuffer> out = new ArrayList<>();
        for (String name : listNames(dir)) {
            if (FIRMWARE_FB.matcher(name).matches()) {
                String driver = linkName(dir.resolve(name).resolve("driver"));
                if (Names.driver(driver)) {
                    out.add(new Framebuffer(name, driver));
                } else if (!driver.isEmpty()) {
                    LOG.warn("{}: unexpected driver link '{}', ignored", dir.resolve(name), clip(driver));
                }
            }
        }
        return out;
    }

    @Override
    public void unbindFramebuffer(String driver, String device) throws IOException {
        String path = "/sys/bus/platform/drivers/" + driver + "/unbind";
        checkDriver(path, driver);
        checkName(path, device, FIRMWARE_FB);
        write(path, device);
    }

    @Override
    public void bindFramebuffer(String driver, String device) throws IOException {
        String path = "/sys/bus/platform/drivers/" + driver + "/bind";
        checkDriver(path, driver);
        checkName(path, device, FIRMWARE_FB);
        write(path, device);
    }

    private static void checkName(String path, String name, Pattern pattern) throws KernelWriteException {
        if (name == null || !pattern.matcher(name).matches()) {
            throw new KernelWriteException(path, Errno.EINVAL, "not a valid name: '" + clip(String.valueOf(name)) + "'");
        }
    }

    // ---- units ---------------------------------------------------------------------------------

    @Override
    public boolean unitActive(String unit) throws IOException {
        return units.isActive(unit);
    }

    @Override
    public void stopUnit(String unit) throws IOException {
        units.stop(unit);
    }

    @Override
    public void startUnit(String unit) throws IOException {
        units.start(unit);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** A kernel path ({@code /sys/...}) under the root. */
    private Path under(String kernelPath) {
        return root.resolve(kernelPath.substring(1));
    }

    private static String clip(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() > 40 ? oneLine.substring(0, 40) + "…" : oneLine;
    }
}
