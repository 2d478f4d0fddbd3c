package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import org.gpupass.model.Printable;
import org.gpupass.host.Consoles;
import org.gpupass.host.Framebuffer;
import org.gpupass.model.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Virtual consoles in {@code /sys/class/vtconsole} and firmware framebuffers on the platform bus. */
final class SysfsConsoles implements Consoles {
    private static final Logger LOG = LoggerFactory.getLogger(SysfsConsoles.class);
    private static final Pattern VTCON = Pattern.compile("vtcon([0-9]{1,4})");
    private static final Pattern FIRMWARE_FB = Pattern.compile("(efi|simple|vesa)-framebuffer\\.[0-9]{1,4}");

    private final SysfsTree tree;

    SysfsConsoles(SysfsTree tree) {
        this.tree = tree;
    }

    /** A vtcon whose {@code bind} or {@code name} cannot be read is left out, with a WARN. */
    @Override
    public List<String> framebufferConsoles() throws IOException {
        Path dir = tree.under("/sys/class/vtconsole");
        List<String> out = new ArrayList<>();
        for (String name : SysfsTree.listNames(dir)) {
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
        writeConsoleBind(vtcon, "0");
    }

    @Override
    public void bindConsole(String vtcon) throws IOException {
        writeConsoleBind(vtcon, "1");
    }

    @Override
    public List<Framebuffer> firmwareFramebuffers() throws IOException {
        Path dir = tree.under("/sys/bus/platform/devices");
        List<Framebuffer> out = new ArrayList<>();
        for (String name : SysfsTree.listNames(dir)) {
            if (FIRMWARE_FB.matcher(name).matches()) {
                String driver = SysfsTree.linkName(dir.resolve(name).resolve("driver"));
                if (Names.driver(driver)) {
                    out.add(new Framebuffer(name, driver));
                } else if (!driver.isEmpty()) {
                    LOG.warn("{}: unexpected driver link '{}', ignored", dir.resolve(name), Printable.clip(driver));
                }
            }
        }
        return out;
    }

    @Override
    public void unbindFramebuffer(String driver, String device) throws IOException {
        writeToPlatformDriver(driver, "unbind", device);
    }

    @Override
    public void bindFramebuffer(String driver, String device) throws IOException {
        writeToPlatformDriver(driver, "bind", device);
    }

    /** 0 or 1 into the vtcon's bind file; the name is checked first, as it is a path component. */
    private void writeConsoleBind(String vtcon, String value) throws IOException {
        String path = "/sys/class/vtconsole/" + vtcon + "/bind";
        SysfsTree.checkName(path, vtcon, VTCON);
        tree.write(path, value);
    }

    /**
     * The device into the platform driver's bind or unbind file; the driver (a path component) and the
     * device (the value written) are checked first.
     */
    private void writeToPlatformDriver(String driver, String file, String device) throws IOException {
        String path = "/sys/bus/platform/drivers/" + driver + "/" + file;
        SysfsTree.checkDriver(path, driver);
        SysfsTree.checkName(path, device, FIRMWARE_FB);
        tree.write(path, device);
    }
}
