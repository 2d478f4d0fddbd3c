package org.gpupass.host.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelModules;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.ModuleInfo;
import org.gpupass.model.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernel modules: reading {@code /proc/modules} under a root, and loading and unloading.
 *
 * <p>Loading ({@code modprobe}) and unloading ({@code delete_module(2)}) always act on the running
 * kernel, whatever root the reads use.
 */
final class ProcModules implements KernelModules {
    private static final Logger LOG = LoggerFactory.getLogger(ProcModules.class);
    private static final int O_NONBLOCK = 04000;
    private static final int EWOULDBLOCK = 11;
    private static final long MODPROBE_TIMEOUT_S = 120;

    private final SysfsTree tree;
    private final Path procModules;

    ProcModules(SysfsTree tree) {
        this.tree = tree;
        this.procModules = tree.under("/proc/modules");
    }

    private volatile boolean saidNoModules;

    /** Loaded modules by name; malformed lines are skipped with a WARN. A missing file means none. */
    @Override
    public Map<String, ModuleInfo> loaded() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(procModules, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            if (!saidNoModules) {
                saidNoModules = true; // a kernel without module support: say it once, not every refresh
                LOG.warn("{} does not exist: no modules known", procModules);
            }
            return Map.of();
        }
        Map<String, ModuleInfo> out = new LinkedHashMap<>();
        for (String line : lines) {
            ModuleInfo m = parseLine(line);
            if (m == null) {
                if (!line.isBlank()) {
                    LOG.warn("{}: skipping malformed line '{}'", procModules, line);
                }
                continue;
            }
            out.put(m.name(), m);
        }
        return out;
    }

    /** Empty when the driver is unknown or built in, or its module is not in /proc/modules. */
    @Override
    public Optional<String> moduleOfDriver(String driver) throws IOException {
        if (!Names.driver(driver)) {
            return Optional.empty();
        }
        String module = SysfsTree.linkName(tree.under("/sys/bus/pci/drivers/" + driver + "/module"));
        if (module.isEmpty() || !loaded().containsKey(module)) {
            return Optional.empty();
        }
        return Optional.of(module);
    }

    /** {@code name size refcnt deps state addr [taints]}, deps {@code -} or {@code a,b,}; null when malformed. */
    static ModuleInfo parseLine(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !Names.module(f[0])) {
            return null;
        }
        int refs;
        try {
            refs = Integer.parseInt(f[2]);
        } catch (NumberFormatException e) {
            return null;
        }
        List<String> usedBy = new ArrayList<>();
        if (!f[3].equals("-")) {
            for (String dep : f[3].split(",")) {
                if (dep.isEmpty()) {
                    continue;
                }
                if (!Names.module(dep)) {
                    return null;
                }
                usedBy.add(dep);
            }
        }
        return new ModuleInfo(f[0], refs, usedBy);
    }

    /** The kernel's spelling of a module name ({@code nvidia-drm} → {@code nvidia_drm}); EINVAL when not a name. */
    static String normalise(String module, String what) throws KernelWriteException {
        if (!Names.module(module)) {
            throw new KernelWriteException(what + " " + module, Errno.EINVAL, "not a module name");
        }
        return Names.kernelModuleName(module);
    }

    /** Runs {@code modprobe -- module}; ENOENT when modprobe says "not found", EIO on any other failure. */
    @Override
    public void load(String module) throws IOException {
        String name = normalise(module, "modprobe");
        String shown = "modprobe " + name;
        Process p = new ProcessBuilder(modprobe(), "--", name)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        // stderr is drained on its own thread so that the timeout below holds even if modprobe hangs
        CompletableFuture<String> stderr = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try {
                stderr.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                stderr.complete("");
            }
        }, "modprobe-stderr");
        drain.setDaemon(true);
        drain.start();
        String err;
        int status;
        try {
            if (!p.waitFor(MODPROBE_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new KernelWriteException(shown, Errno.ETIMEDOUT, "modprobe did not finish in "
                        + MODPROBE_TIMEOUT_S + " s");
            }
            status = p.exitValue();
            err = stderr.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            err = "";
            status = p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new java.io.InterruptedIOException("interrupted waiting for " + shown);
        }
        if (status != 0) {
            Errno errno = err.contains("not found") ? Errno.ENOENT : Errno.EIO;
            throw new KernelWriteException(shown, errno, "exit status " + status + (err.isEmpty() ? "" : ": " + err));
        }
    }

    /** delete_module(name, O_NONBLOCK): EBUSY while used, ENOENT when not loaded, EPERM without the right. */
    @Override
    public void unload(String module) throws IOException {
        String name = normalise(module, "delete_module");
        String shown = "delete_module " + name;
        int rc;
        int errno;
        try {
            rc = LibC.INSTANCE.delete_module(name, O_NONBLOCK);
            errno = Native.getLastError();
        } catch (LinkageError e) {
            throw new KernelWriteException(shown, Errno.EIO, "cannot call delete_module: " + e);
        }
        if (rc == 0) {
            return;
        }
        if (errno == EWOULDBLOCK) {
            throw new KernelWriteException(shown, Errno.EBUSY, "module is in use");
        }
        Errno mapped = KernelFiles.ofNumber(errno);
        if (mapped == null) {
            throw new KernelWriteException(shown, Errno.EIO, "errno " + errno);
        }
        throw new KernelWriteException(shown, mapped);
    }

    private static String modprobe() {
        for (String candidate : List.of("/usr/sbin/modprobe", "/sbin/modprobe", "/usr/bin/modprobe")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "modprobe";
    }

    /** The one libc call we need. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int delete_module(String name, int flags);
    }
}
