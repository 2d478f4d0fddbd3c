package org.gpupass.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Human names from the host's pci.ids database, looked up lazily.
 *
 * <p>The file (about 1.3 MB) is never held in memory: a lookup streams it once for all the ids not
 * yet cached, stops as soon as they are all found (or at the class section), and caches the
 * answers, unknown ones included. Names look like {@code NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]}:
 * the vendor's short name, then the device name.
 */
public final class PciIds {
    private static final Logger LOG = LoggerFactory.getLogger(PciIds.class);

    /** Where distributions put the database, relative to the root; the first found is used. */
    public static final List<String> LOCATIONS =
            List.of("usr/share/hwdata/pci.ids", "usr/share/misc/pci.ids", "usr/share/pci.ids");

    private static final List<String> VENDOR_SUFFIXES = List.of(" Corporation", " Corp.", ", Inc.", " Inc.");

    private final Path file;
    private final Map<Integer, Optional<String>> cache = new ConcurrentHashMap<>();

    /** Uses the given database file; it may be absent (every name is then unknown). */
    public PciIds(Path file) {
        this.file = file;
    }

    /** The first database found under {@code root} among {@link #LOCATIONS}, or one that names nothing. */
    public static PciIds under(Path root) {
        for (String location : LOCATIONS) {
            Path candidate = root.resolve(location);
            if (Files.isRegularFile(candidate)) {
                return new PciIds(candidate);
            }
        }
        return new PciIds(null);
    }

    /** The database file in use, or null when none was found. */
    public Path file() {
        return file;
    }

    /** {@code "<vendor short> <device>"}, or null when the database does not know the device. */
    public String name(int vendorId, int deviceId) {
        return names(List.of(key(vendorId, deviceId))).get(key(vendorId, deviceId));
    }

    /**
     * Names for many ids with at most one pass over the file.
     *
     * @param keys ids as {@link #key(int, int)}
     * @return the known names by key; unknown keys are absent
     */
    public Map<Integer, String> names(Collection<Integer> keys) {
        Set<Integer> missing = new HashSet<>();
        for (Integer k : keys) {
            if (!cache.containsKey(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            synchronized (this) {
                missing.removeIf(cache::containsKey);
                if (!missing.isEmpty()) {
                    Map<Integer, String> found = scan(missing);
                    for (Integer k : missing) {
                        cache.put(k, Optional.ofNullable(found.get(k)));
                    }
                }
            }
        }
        Map<Integer, String> out = new HashMap<>();
        for (Integer k : keys) {
            Optional<String> name = cache.get(k);
            if (name != null && name.isPresent()) {
                out.put(k, name.get());
            }
        }
        return out;
    }

    /** The cache key of a vendor:device pair. */
    public static int key(int vendorId, int deviceId) {
        return (vendorId & 0xffff) << 16 | (deviceId & 0xffff);
    }

    /**
     * The short form of a vendor name: the bracketed part if any ({@code AMD/ATI}), else the name
     * without a trailing {@code Corporation}, {@code Corp.}, {@code , Inc.} or {@code Inc.}.
     */
    public static String shortVendor(String vendor) {
        String v = vendor.strip();
        int open = v.lastIndexOf('[');
        int close = v.lastIndexOf(']');
        if (open >= 0 && close > open + 1) {
            return v.substring(open + 1, close).strip();
        }
        for (String suffix : VENDOR_SUFFIXES) {
            if (v.endsWith(suffix) && v.length() > suffix.length()) {
                return v.substring(0, v.length() - suffix.length()).strip();
            }
        }
        return v;
    }

    private Map<Integer, String> scan(Set<Integer> wanted) {
        Map<Integer, String> found = new HashMap<>();
        if (file == null) {
            return found;
        }
        Set<Integer> vendors = new HashSet<>();
        for (int k : wanted) {
            vendors.add(k >>> 16);
        }
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8), 1 << 16)) {
            String line;
            String vendorShort = null; // non-null while inside a wanted vendor's block
            int vendorId = -1;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty() || line.charAt(0) == '#') {
                    continue;
                }
                char c0 = line.charAt(0);
                if (c0 != '\t') {
                    if (line.startsWith("C ")) {
                        break; // the device class section: no more vendors
                    }
                    vendorShort = null;
                    int id = parseId(line, 0);
                    if (id >= 0 && vendors.contains(id)) {
                        vendorId = id;
                        vendorShort = shortVendor(line.substring(4));
                    } else if (found.size() == wanted.size()) {
                        break;
                    }
                } else if (vendorShort != null && line.length() > 1 && line.charAt(1) != '\t') {
                    int id = parseId(line, 1);
                    if (id >= 0) {
                        int k = key(vendorId, id);
                        if (wanted.contains(k)) {
                            String device = line.substring(5).strip();
                            found.put(k, vendorShort.isEmpty() ? device : vendorShort + " " + device);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read PCI name database {}: {}", file, e.toString());
        }
        return found;
    }

    /** Four hex digits at {@code at} followed by whitespace, or -1. */
    private static int parseId(String line, int at) {
        if (line.length() < at + 5 || !Character.isWhitespace(line.charAt(at + 4))) {
            return -1;
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(line.charAt(i), 16);
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }
}
