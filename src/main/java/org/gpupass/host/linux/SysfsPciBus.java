package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.model.Printable;
import org.gpupass.host.PciBus;
import org.gpupass.model.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PCI bus in sysfs: {@code /sys/bus/pci/devices/*} read, the driver core's attributes written.
 *
 * <p>Reading devices never fails because of one bad value. A device whose address, vendor, device or
 * class cannot be read or parsed is left out; a bad driver, driver_override, iommu_group, boot_vga or
 * consumer link gives that field its empty value. Either way one WARN line names the path.
 */
final class SysfsPciBus implements PciBus {
    private static final Logger LOG = LoggerFactory.getLogger(SysfsPciBus.class);

    private static final Pattern SYSFS_ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]");
    private static final Pattern HEX = Pattern.compile("0x([0-9a-fA-F]{1,8})");
    private static final String CONSUMER = "consumer:pci:";

    private final SysfsTree tree;
    private final PciIds pciIds;

    SysfsPciBus(SysfsTree tree) {
        this.tree = tree;
        this.pciIds = PciIds.under(tree.root());
    }

    @Override
    public List<PciDevice> devices() throws IOException {
        Path devices = tree.under("/sys/bus/pci/devices");
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
        Path dir = tree.under("/sys/bus/pci/devices").resolve(function.toString());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        return Optional.of(driverLink(dir));
    }

    /** The name the device's {@code driver} link points to; "" for none or an unexpected name. */
    private static String driverLink(Path dir) {
        String driver = SysfsTree.linkName(dir.resolve("driver"));
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
        LOG.warn("{}: malformed value '{}', device skipped", file, Printable.clip(text));
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
            LOG.warn("{}: malformed value '{}', taken as no override", file, Printable.clip(text));
            return "";
        }
        return text;
    }

    private static int readGroup(Path link) {
        String group = SysfsTree.linkName(link);
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
        LOG.warn("{}: malformed group '{}', taken as no group", link, Printable.clip(group));
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

    @Override
    public boolean iommuEnabled() throws IOException {
        Path groups = tree.under("/sys/kernel/iommu_groups");
        if (!Files.isDirectory(groups)) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(groups)) {
            return entries.iterator().hasNext();
        }
    }

    @Override
    public void setDriverOverride(PciAddress function, String driver) throws IOException {
        String path = "/sys/bus/pci/devices/" + function + "/driver_override";
        if (driver == null || driver.isEmpty()) {
            write(path, "\n");
        } else {
            SysfsTree.checkDriver(path, driver);
            write(path, driver);
        }
    }

    @Override
    public void unbind(PciAddress function, String driver) throws IOException {
        writeToDriver(driver, "unbind", function);
    }

    @Override
    public void driversProbe(PciAddress function) throws IOException {
        write("/sys/bus/pci/drivers_probe", function.toString());
    }

    @Override
    public void bind(PciAddress function, String driver) throws IOException {
        writeToDriver(driver, "bind", function);
    }

    @Override
    public void remove(PciAddress function) throws IOException {
        write("/sys/bus/pci/devices/" + function + "/remove", "1");
    }

    @Override
    public void rescan() throws IOException {
        write("/sys/bus/pci/rescan", "1");
    }

    /** The function's address into the driver's bind or unbind file; the driver, a path component, is checked first. */
    private void writeToDriver(String driver, String file, PciAddress function) throws IOException {
        String path = "/sys/bus/pci/drivers/" + driver + "/" + file;
        SysfsTree.checkDriver(path, driver);
        write(path, function.toString());
    }

    private void write(String kernelPath, String text) throws IOException {
        tree.write(kernelPath, text);
    }
}
