package org.gpupass.host.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
        // Byte-level scan: only the lines that match are decoded (names are UTF-8).
        try (InputStream in = Files.newInputStream(file)) {
            Scan state = new Scan(wanted, vendors, found);
            byte[] buf = new byte[1 << 16];
            int len = 0;
            int pos = 0;
            while (true) {
                int nl = indexOfNewline(buf, pos, len);
                if (nl >= 0) {
                    if (!state.line(buf, pos, nl)) {
                        break;
                    }
                    pos = nl + 1;
                    continue;
                }
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, len - pos);
                    len -= pos;
                    pos = 0;
                }
                if (len == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
                }
                int n = in.read(buf, len, buf.length - len);
                if (n < 0) {
                    if (len > 0) {
                        state.line(buf, 0, len);
                    }
                    break;
                }
                len += n;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read PCI name database {}: {}", file, e.toString());
        }
        return found;
    }

    private static int indexOfNewline(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The state of one pass: which vendor block we are in. */
    private static final class Scan {
        private final Set<Integer> wanted;
        private final Set<Integer> vendors;
        private final Map<Integer, String> found;
        private String vendorShort; // non-null while inside a wanted vendor's block
        private int vendorId = -1;

        Scan(Set<Integer> wanted, Set<Integer> vendors, Map<Integer, String> found) {
            this.wanted = wanted;
            this.vendors = vendors;
            this.found = found;
        }

        /** Handles buf[from, to) (no newline); false when the pass can stop. */
        boolean line(byte[] buf, int from, int to) {
            if (to > from && buf[to - 1] == '\r') {
                to--;
            }
            if (to == from || buf[from] == '#') {
                return true;
            }
            if (buf[from] != '\t') {
                if (buf[from] == 'C' && to > from + 1 && buf[from + 1] == ' ') {
                    return false; // the device class section: no more vendors
                }
                vendorShort = null;
                if (found.size() == wanted.size()) {
                    return false;
                }
                int id = parseId(buf, from, to);
                if (id >= 0 && vendors.contains(id)) {
                    vendorId = id;
                    vendorShort = shortVendor(text(buf, from + 4, to));
                }
            } else if (vendorShort != null && to > from + 1 && buf[from + 1] != '\t') {
                int id = parseId(buf, from + 1, to);
                if (id >= 0) {
                    int k = key(vendorId, id);
                    if (wanted.contains(k)) {
                        String device = text(buf, from + 5, to).strip();
                        found.put(k, vendorShort.isEmpty() ? device : vendorShort + " " + device);
                    }
                }
            }
            return true;
        }
    }

    private static String text(byte[] buf, int from, int to) {
        return new String(buf, from, to - from, StandardCharsets.UTF_8);
    }

    /** Four hex digits at {@code at} followed by a space or tab, or -1. */
    private static int parseId(byte[] buf, int at, int to) {
        if (to < at + 5 || (buf[at + 4] != ' ' && buf[at + 4] != '\t')) {
            return -1;
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(buf[i], 16);
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

}
