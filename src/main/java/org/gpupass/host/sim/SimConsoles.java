package org.gpupass.host.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.gpupass.host.Consoles;
import org.gpupass.host.Errno;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.sim.SimulatedKernel.Op;

/**
 * Virtual consoles and firmware framebuffers: a modular {@code (M)} framebuffer console hands the
 * consoles to the system {@code (S)} driver when unbound and takes them back when bound; each
 * framebuffer platform device has the one platform driver that takes it.
 */
final class SimConsoles implements Consoles {

    /** A virtual console; {@code (S)} in its name marks the system driver, which takes over unbound consoles. */
    private static final class Console {
        final String name;
        boolean bound;

        Console(String name, boolean bound) {
            this.name = name;
            this.bound = bound;
        }

        boolean system() {
            return name.startsWith("(S)");
        }
    }

    /** A firmware framebuffer platform device and its driver. */
    private static final class PlatformFramebuffer {
        final String driver;
        boolean bound;

        PlatformFramebuffer(String driver, boolean bound) {
            this.driver = driver;
            this.bound = bound;
        }
    }

    private final SimParts parts;
    /** Virtual consoles by vtcon name, in number order. */
    private final Map<String, Console> consoles = new TreeMap<>(
            Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()));
    private final Map<String, PlatformFramebuffer> framebuffers = new TreeMap<>();

    SimConsoles(SimParts parts) {
        this.parts = parts;
    }

    /** Construction. */
    void addConsole(String vtcon, String name, boolean bound) {
        consoles.put(vtcon, new Console(name, bound));
    }

    /** Construction. */
    void addFramebuffer(String device, String driver, boolean bound) {
        framebuffers.put(device, new PlatformFramebuffer(driver, bound));
    }

    @Override
    public List<String> framebufferConsoles() {
        synchronized (parts.writes.lock) {
            List<String> out = new ArrayList<>();
            consoles.forEach((vtcon, c) -> {
                if (c.bound && c.name.contains("frame buffer")) {
                    out.add(vtcon);
                }
            });
            return out;
        }
    }

    /**
     * ENOENT for an unknown vtcon. Unbinding a bound modular {@code (M)} console hands the consoles to the
     * system {@code (S)} driver (its {@code bind} then reads 1); a system or unbound one is left as it is.
     */
    @Override
    public void unbindConsole(String vtcon) throws IOException {
        writeConsoleBind(Op.UNBIND_CONSOLE, vtcon, c -> {
            if (c.bound && !c.system()) {
                c.bound = false;
                if (consoles.values().stream().noneMatch(o -> o.bound && !o.system())) {
                    consoles.values().stream().filter(Console::system).forEach(o -> o.bound = true);
                }
            }
        });
    }

    /** ENOENT for an unknown vtcon; binding a modular console takes the consoles from the system driver. */
    @Override
    public void bindConsole(String vtcon) throws IOException {
        writeConsoleBind(Op.BIND_CONSOLE, vtcon, c -> {
            if (!c.bound) {
                c.bound = true;
                if (!c.system()) {
                    consoles.values().stream().filter(Console::system).forEach(o -> o.bound = false);
                }
            }
        });
    }

    @Override
    public List<Framebuffer> firmwareFramebuffers() {
        synchronized (parts.writes.lock) {
            List<Framebuffer> out = new ArrayList<>();
            framebuffers.forEach((device, f) -> {
                if (f.bound) {
                    out.add(new Framebuffer(device, f.driver));
                }
            });
            return out;
        }
    }

    /** ENOENT when no framebuffer names the driver (no such directory); ENODEV when the device is not bound to it. */
    @Override
    public void unbindFramebuffer(String driver, String device) throws IOException {
        writeToPlatformDriver(Op.UNBIND_FRAMEBUFFER, driver, "unbind", device, (f, path) -> {
            if (f == null || !f.bound || !f.driver.equals(driver)) {
                throw new KernelWriteException(path, Errno.ENODEV, device + " is not bound to " + driver);
            }
            f.bound = false;
        });
    }

    /** ENOENT when no framebuffer names the driver; ENODEV when the device is unknown, bound, or not the driver's. */
    @Override
    public void bindFramebuffer(String driver, String device) throws IOException {
        writeToPlatformDriver(Op.BIND_FRAMEBUFFER, driver, "bind", device, (f, path) -> {
            if (f == null || f.bound || !f.driver.equals(driver)) {
                throw new KernelWriteException(path, Errno.ENODEV, f == null ? "no device " + device
                        : f.bound ? device + " is bound" : driver + " does not match " + device);
            }
            f.bound = true;
        });
    }

    /** A write to the vtcon's bind file: ENOENT for an unknown vtcon, else the change to its console. */
    private void writeConsoleBind(Op op, String vtcon, Consumer<Console> change) throws IOException {
        String path = "/sys/class/vtconsole/" + vtcon + "/bind";
        parts.writes.write(op, vtcon, "", path, () -> {
            change.accept(consoleOr(vtcon, path));
            return null;
        });
    }

    /** What a write to a platform driver's bind or unbind file does to the device's framebuffer (null: unknown). */
    @FunctionalInterface
    private interface FramebufferChange {
        void apply(PlatformFramebuffer framebuffer, String path) throws KernelWriteException;
    }

    /** A write to a platform driver's bind or unbind file: ENOENT when no framebuffer names it, else the change. */
    private void writeToPlatformDriver(Op op, String driver, String file, String device, FramebufferChange change)
            throws IOException {
        String path = "/sys/bus/platform/drivers/" + driver + "/" + file;
        parts.writes.write(op, device, driver, path, () -> {
            platformDriverOr(driver, path);
            change.apply(framebuffers.get(device), path);
            return null;
        });
    }

    private Console consoleOr(String vtcon, String path) throws KernelWriteException {
        Console c = consoles.get(vtcon);
        if (c == null) {
            throw new KernelWriteException(path, Errno.ENOENT, "no console " + vtcon);
        }
        return c;
    }

    private void platformDriverOr(String driver, String path) throws KernelWriteException {
        if (framebuffers.values().stream().noneMatch(f -> f.driver.equals(driver))) {
            throw new KernelWriteException(path, Errno.ENOENT, "no platform driver " + driver + " is registered");
        }
    }
}
