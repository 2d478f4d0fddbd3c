package org.gpupass.host.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.gpupass.model.PciAddress;

/** Reads the line-based host format (docs/simulated-hosts.md) into a {@link SimulatedHostBuilder}. */
final class HostFileParser {
    private HostFileParser() {
    }

    /** The text of a resource next to this class, e.g. {@code dual-gpu.host}; null when absent. */
    static String resource(String name) {
        try (InputStream in = HostFileParser.class.getResourceAsStream(name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The text of a host file: a regular file (links followed) of strict UTF-8. Errors name the file,
     * and for bytes that are not UTF-8 the line.
     */
    static String read(Path file) throws HostFileException {
        String source = file.toString();
        byte[] bytes;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                // Reading a FIFO or a device could block or never end; a directory has no text.
                throw new HostFileException(source, 0, "not a regular file but "
                        + (attributes.isDirectory() ? "a directory" : "a device, FIFO or socket"));
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new HostFileException(source, 0, "no such file");
        } catch (IOException e) {
            throw new HostFileException(source, 0, "cannot read: " + e.getMessage());
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, out, true);
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new HostFileException(source, line, String.format("not UTF-8 text: byte 0x%02x (byte %d of the line) "
                    + "is not valid UTF-8; save the file as UTF-8", bytes[at] & 0xff, at - lineStart + 1));
        }
        return out.flip().toString();
    }

    /**
     * A whole host description: every line, then what only the whole text can tell (a consumer
     * named before, or without, its device line), reported at the line that names it.
     */
    static void applyHost(String text, String source, SimulatedHostBuilder b) throws HostFileException {
        Map<PciAddress, Integer> deviceLines = apply(text, source, b);
        for (Map.Entry<PciAddress, Integer> device : deviceLines.entrySet()) {
            try {
                b.checkConsumersOf(device.getKey());
            } catch (IllegalArgumentException e) {
                throw new HostFileException(source, device.getValue(), e.getMessage());
            }
        }
    }

    /** Applies every line of {@code text} to the builder, in order; returns the line of each device. */
    static Map<PciAddress, Integer> apply(String text, String source, SimulatedHostBuilder b) throws HostFileException {
        Map<PciAddress, Integer> deviceLines = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            try {
                List<String> words = tokens(lines[i]);
                if (!words.isEmpty()) {
                    PciAddress device = line(new Line(words), b);
                    if (device != null) {
                        deviceLines.put(device, i + 1);
                    }
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new HostFileException(source, i + 1, e.getMessage());
            }
        }
        return deviceLines;
    }

    /** Splits on blanks; {@code "..."} keeps blanks (also after {@code key=}); {@code #} outside quotes ends the line. */
    static List<String> tokens(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    quoted = false;
                } else {
                    word.append(c);
                }
            } else if (c == '#') {
                break;
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    out.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '"') {
                    quoted = true;
                } else {
                    word.append(c);
                }
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated \"");
        }
        if (word != null) {
            out.add(word.toString());
        }
        return out;
    }

    /** Applies one line; returns the address a {@code device} line describes, else null. */
    private static PciAddress line(Line l, SimulatedHostBuilder b) {
        switch (l.keyword) {
            case "iommu" -> {
                l.allow(1, Set.of(), Set.of());
                switch (l.positional(0, "on or off")) {
                    case "on" -> b.iommu(true);
                    case "off" -> b.iommu(false);
                    default -> throw new IllegalArgumentException("iommu takes on or off, not '" + l.positional.get(0) + "'");
                }
            }
            case "module" -> {
                l.allow(1, Set.of("deps", "pins", "dev-nodes"), Set.of("builtin"));
                b.defineModule(new ModuleSpec(l.positional(0, "a module name"), l.list("deps"), l.flag("builtin"),
                        l.yesNo("pins", true), l.list("dev-nodes")));
            }
            case "driver" -> {
                l.allow(1, Set.of("module", "match", "nodes", "drm-via"), Set.of("unbind-waits-for-close"));
                List<IdMatch> matches = l.list("match").stream().map(IdMatch::parse).toList();
                Set<NodeKind> nodes = EnumSet.noneOf(NodeKind.class);
                l.list("nodes").forEach(n -> nodes.add(NodeKind.parse(n)));
                b.defineDriver(new DriverSpec(l.positional(0, "a driver name"), l.required("module"), matches, nodes,
                        l.attrs.get("drm-via"), l.flag("unbind-waits-for-close")));
            }
            case "load" -> {
                l.allow(Integer.MAX_VALUE, Set.of(), Set.of());
                l.positional(0, "at least one module");
                b.load(l.positional.toArray(String[]::new));
            }
            case "extra-users" -> {
                l.allow(2, Set.of(), Set.of());
                b.extraUsers(l.positional(0, "a module"), number(l.positional(1, "a count")));
            }
            case "device" -> {
                l.allow(2, Set.of("class", "name", "driver", "override", "group", "consumers"), Set.of("boot_vga"));
                b.device(l.positional(0, "an address"), l.positional(1, "VVVV:DDDD"), number(l.required("class")));
                if (l.attrs.containsKey("name")) {
                    b.name(l.attrs.get("name"));
                }
                if (l.attrs.containsKey("driver")) {
                    b.driver(l.attrs.get("driver"));
                }
                if (l.attrs.containsKey("override")) {
                    b.override(l.attrs.get("override"));
                }
                if (l.attrs.containsKey("group")) {
                    b.group(number(l.attrs.get("group")));
                }
                if (l.flag("boot_vga")) {
                    b.bootVga();
                }
                if (l.attrs.containsKey("consumers")) {
                    b.consumers(l.list("consumers").toArray(String[]::new));
                }
                b.checkLastDevice();
                return PciAddress.tryParse(l.positional.get(0));
            }
            case "unit" -> {
                l.allow(2, Set.of(), Set.of());
                b.unit(l.positional(0, "a unit name"));
                switch (l.positional(1, "active or inactive")) {
                    case "active" -> { }
                    case "inactive" -> b.inactive();
                    default -> throw new IllegalArgumentException("a unit is active or inactive, not '" + l.positional.get(1) + "'");
                }
            }
            case "process" -> {
                l.allow(1, Set.of("uid", "unit", "opens"), Set.of());
                b.process(l.positional(0, "a command"), number(l.required("uid")), l.attrs.getOrDefault("unit", ""));
                if (!l.list("opens").isEmpty()) {
                    b.opens(l.list("opens").toArray(String[]::new));
                }
            }
            case "console" -> {
                l.allow(1, Set.of("name"), Set.of("unbound"));
                b.console(l.positional(0, "a vtconN name"), l.required("name"), !l.flag("unbound"));
            }
            case "framebuffer" -> {
                l.allow(1, Set.of("driver"), Set.of("unbound"));
                b.framebuffer(l.positional(0, "a framebuffer device"), l.required("driver"), !l.flag("unbound"));
            }
            default -> throw new IllegalArgumentException("unknown keyword '" + l.keyword
                    + "' (expected iommu, module, driver, load, extra-users, device, unit, process, console or"
                    + " framebuffer)");
        }
        return null;
    }

    /** Decimal, or hex with 0x. */
    private static int number(String text) {
        try {
            return text.startsWith("0x") || text.startsWith("0X") ? Integer.parseInt(text.substring(2), 16)
                    : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + text + "'");
        }
    }

    /** One line split into keyword, positional words, key=value attributes and bare flags. */
    private static final class Line {
        final String keyword;
        final List<String> positional = new ArrayList<>();
        final Map<String, String> attrs = new LinkedHashMap<>();
        final List<String> flags = new ArrayList<>();

        Line(List<String> words) {
            keyword = words.get(0);
            for (String w : words.subList(1, words.size())) {
                int eq = w.indexOf('=');
                if (eq > 0) {
                    if (attrs.put(w.substring(0, eq), w.substring(eq + 1)) != null) {
                        throw new IllegalArgumentException("'" + w.substring(0, eq) + "=' given twice");
                    }
                } else if (attrs.isEmpty() && flags.isEmpty()) {
                    positional.add(w);
                } else {
                    flags.add(w);
                }
            }
        }

        /** Checks the word counts and names: positional words beyond {@code maxPositional} are flags. */
        void allow(int maxPositional, Set<String> keys, Set<String> flagNames) {
            while (positional.size() > maxPositional) {
                flags.add(0, positional.remove(positional.size() - 1));
            }
            for (String key : attrs.keySet()) {
                if (!keys.contains(key)) {
                    throw new IllegalArgumentException(keyword + ": unknown attribute '" + key + "='");
                }
            }
            for (String flag : flags) {
                if (!flagNames.contains(flag)) {
                    throw new IllegalArgumentException(keyword + ": unexpected word '" + flag + "'");
                }
            }
        }

        String positional(int i, String what) {
            if (positional.size() <= i) {
                throw new IllegalArgumentException(keyword + ": missing " + what);
            }
            return positional.get(i);
        }

        String required(String key) {
            String v = attrs.get(key);
            if (v == null || v.isEmpty()) {
                throw new IllegalArgumentException(keyword + ": missing " + key + "=");
            }
            return v;
        }

        boolean flag(String name) {
            return flags.contains(name);
        }

        List<String> list(String key) {
            String v = attrs.get(key);
            return v == null || v.isEmpty() ? List.of() : Arrays.asList(v.split(","));
        }

        boolean yesNo(String key, boolean dflt) {
            String v = attrs.get(key);
            if (v == null) {
                return dflt;
            }
            return switch (v) {
                case "yes" -> true;
                case "no" -> false;
                default -> throw new IllegalArgumentException(key + "= takes yes or no, not '" + v + "'");
            };
        }
    }
}
