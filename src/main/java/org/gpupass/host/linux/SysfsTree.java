package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.gpupass.model.Printable;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.model.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's files under a root ({@code /} on a real machine, a directory tree in tests): the one
 * place that turns a kernel path ({@code /sys/bus/pci/rescan}) into a file, reads links and
 * directories the way the facility classes need them, and writes attributes. Paths in exceptions
 * are spelled as on the real machine, without the root.
 */
final class SysfsTree {
    private static final Logger LOG = LoggerFactory.getLogger(SysfsTree.class);

    private final Path root;

    SysfsTree(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /** A kernel path ({@code /sys/...}, {@code /proc/...}, {@code /dev/...}) under the root. */
    Path under(String kernelPath) {
        return root.resolve(kernelPath.substring(1));
    }

    Path root() {
        return root;
    }

    /** Writes one attribute with a single write(2), as the kernel's sysfs store expects. */
    void write(String kernelPath, String text) throws KernelWriteException {
        LOG.debug("write {} <- '{}'", kernelPath, text.strip());
        KernelFiles.write(under(kernelPath), kernelPath, text);
    }

    /** The basename of a symlink's target, "" when there is no link; a WARN when it is not a link. */
    static String linkName(Path link) {
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

    /** Sorted entry names of a directory, none when it does not exist (or went away meanwhile). */
    static List<String> listNames(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                names.add(e.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return names;
        } catch (DirectoryIteratorException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return names;
            }
            throw e.getCause();
        }
        names.sort(null);
        return names;
    }

    /** EINVAL unless {@code driver} is a driver name ({@link Names#driver}): it becomes a path component. */
    static void checkDriver(String path, String driver) throws KernelWriteException {
        if (!Names.driver(driver)) {
            throw new KernelWriteException(path, Errno.EINVAL, "not a driver name: '" + Printable.clip(driver) + "'");
        }
    }

    /** EINVAL unless {@code name} matches {@code pattern}: it becomes a path component or a written value. */
    static void checkName(String path, String name, Pattern pattern) throws KernelWriteException {
        if (name == null || !pattern.matcher(name).matches()) {
            throw new KernelWriteException(path, Errno.EINVAL, "not a valid name: '" + Printable.clip(name) + "'");
        }
    }
}
