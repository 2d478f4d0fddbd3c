package org.gpupass.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gpupass.model.Names;

/**
 * The daemon's configuration, {@code /etc/gpupassd/gpupassd.conf}: immutable, validated when parsed.
 *
 * <p>Format: {@code key = value} lines; lines whose first non-blank character is {@code #} are
 * comments; blank lines are ignored. Keys and values are trimmed. There are no inline comments:
 * {@code #} after a value is part of the value (and makes every value with a fixed syntax invalid,
 * so a mistake is reported, never silently accepted). An unknown key, a key given twice or a bad
 * value is a {@link ConfigException} naming the file, the line and the key. See
 * {@code docs/configuration.md}.
 */
public final class Config {

    /** What to do with the display manager when its processes are all that hold the GPU. */
    public enum DisplayManagerPolicy {
        /** Never stop it: a GPU held by its session is {@code InUse}. */
        NEVER("never"),
        /**
         * Stop it when only its processes hold the GPU's nodes; start it again after the claim on
         * dual-GPU hosts, after the release on single-GPU hosts.
         */
        WHEN_HOLDING("when-holding");

        private final String word;

        DisplayManagerPolicy(String word) {
            this.word = word;
        }

        /** The spelling in the configuration file. */
        public String word() {
            return word;
        }

        @Override
        public String toString() {
            return word;
        }
    }

    /** Largest configuration file read (a config is a few hundred bytes). */
    static final int MAX_FILE_BYTES = 1 << 20;

    public static final String MANAGE = "manage";
    public static final String ALLOW_BOOT_DISPLAY = "allow_boot_display";
    public static final String DISPLAY_MANAGER = "display_manager";
    public static final String STOP_DISPLAY_MANAGER = "stop_display_manager";
    public static final String STOP_UNITS = "stop_units";
    public static final String UNLOAD_HOST_MODULES = "unload_host_modules";
    public static final String UNBIND_CONSOLES = "unbind_consoles";
    public static final String MODULES_PREFIX = "modules.";
    public static final String WRITE_TIMEOUT = "write_timeout";
    public static final String SETTLE_TIMEOUT = "settle_timeout";
    public static final String LOCK_TIMEOUT = "lock_timeout";
    public static final String REFRESH_INTERVAL = "refresh_interval";

    /** The fixed keys, in documentation order ({@code modules.<driver>} comes after unload_host_modules). */
    static final List<String> KEYS = List.of(MANAGE, ALLOW_BOOT_DISPLAY, DISPLAY_MANAGER, STOP_DISPLAY_MANAGER,
            STOP_UNITS, UNBIND_CONSOLES, UNLOAD_HOST_MODULES, WRITE_TIMEOUT, SETTLE_TIMEOUT, LOCK_TIMEOUT,
            REFRESH_INTERVAL);

    /** Built-in {@code modules.<driver>} values, in unload order. */
    static final Map<String, List<String>> DEFAULT_MODULES = Map.of(
            "nvidia", List.of("nvidia_drm", "nvidia_modeset", "nvidia_uvm", "nvidia"),
            "amdgpu", List.of("amdgpu"),
            "nouveau", List.of("nouveau"),
            "radeon", List.of("radeon"));

    private static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    private static final Duration MAX_DURATION = Duration.ofHours(1);
    private static final Duration MIN_REFRESH = Duration.ofMillis(100);

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)");
    private static final Pattern IDS = Pattern.compile("([0-9a-fA-F]{4}):([0-9a-fA-F]{4}|\\*)");

    /** One entry of {@code manage}: an address, or vendor with device (-1 = any). */
    private record Selector(PciAddress address, int vendor, int device) {
        boolean matches(PciDevice gpu) {
            if (address != null) {
                return address.equals(gpu.address());
            }
            return gpu.vendorId() == vendor && (device < 0 || gpu.deviceId() == device);
        }

        @Override
        public String toString() {
            return address != null ? address.toString()
                    : String.format("%04x:%s", vendor, device < 0 ? "*" : String.format("%04x", device));
        }
    }

    private static final Config DEFAULTS = new Config(new Builder());

    private final List<Selector> manage; // null = all
    private final boolean allowBootDisplay;
    private final String displayManager;
    private final DisplayManagerPolicy displayManagerPolicy;
    private final List<String> stopUnits;
    private final boolean unloadHostModules;
    private final Map<String, List<String>> moduleOverrides;
    private final boolean unbindConsoles;
    private final Duration writeTimeout;
    private final Duration settleTimeout;
    private final Duration lockTimeout;
    private final Duration refreshInterval;

    private Config(Builder b) {
        this.manage = b.manage == null ? null : List.copyOf(b.manage);
        this.allowBootDisplay = b.allowBootDisplay;
        this.displayManager = b.displayManager;
        this.displayManagerPolicy = b.displayManagerPolicy;
        this.stopUnits = List.copyOf(b.stopUnits);
        this.unloadHostModules = b.unloadHostModules;
        this.moduleOverrides = Collections.unmodifiableMap(new TreeMap<>(b.moduleOverrides));
        this.unbindConsoles = b.unbindConsoles;
        this.writeTimeout = b.writeTimeout;
        this.settleTimeout = b.settleTimeout;
        this.lockTimeout = b.lockTimeout;
        this.refreshInterval = b.refreshInterval;
    }

    /** Every key at its default, as with a missing or empty file. */
    public static Config defaults() {
        return DEFAULTS;
    }

    /**
     * Reads the file; a missing file means {@link #defaults()}. A file that exists but cannot be
     * read (a directory, no permission, not UTF-8, larger than 1 MiB) is a {@link ConfigException}.
     */
    public static Config load(Path file) throws ConfigException {
        String source = file.toString();
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.exists(file)) {
            return defaults();
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(source, 0, "not a regular file");
        }
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException(source, 0, "larger than " + MAX_FILE_BYTES + " bytes: not a configuration file");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return defaults(); // removed between the checks: same as missing
        } catch (IOException e) {
            throw new ConfigException(source, "cannot read: " + e, e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(source, "not valid UTF-8 text", e);
        }
        return parse(text, source);
    }

    /** Parses the text of a configuration file; {@code sourceName} is used in error messages. */
    public static Config parse(String text, String sourceName) throws ConfigException {
        Objects.requireNonNull(text, "text");
        String source = sourceName == null || sourceName.isEmpty() ? "gpupassd.conf" : sourceName;
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        Builder b = new Builder();
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(source, lineNo,
                        "expected 'key = value', got '" + Printable.clip(trimmed) + "'");
            }
            String key = trimmed.substring(0, eq).strip();
            String value = trimmed.substring(eq + 1).strip();
            if (key.isEmpty()) {
                throw new ConfigException(source, lineNo, "expected 'key = value', the key is missing");
            }
            checkKnown(key, source, lineNo);
            Integer first = seen.putIfAbsent(key, lineNo);
            if (first != null) {
                throw new ConfigException(source, lineNo,
                        key + ": set twice (first on line " + first + "); keep one");
            }
            b.set(key, value, source, lineNo);
        }
        return new Config(b);
    }

    /**
     * A copy with one key set as if the file said {@code key = value} (replacing any earlier
     * setting); errors name the source {@code with()}.
     */
    public Config with(String key, String value) throws ConfigException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        checkKnown(key.strip(), "with()", 0);
        Builder b = new Builder(this);
        b.set(key.strip(), value.strip(), "with()", 0);
        return new Config(b);
    }

    private static void checkKnown(String key, String source, int line) throws ConfigException {
        if (KEYS.contains(key)) {
            return;
        }
        if (key.startsWith(MODULES_PREFIX)) {
            String driver = key.substring(MODULES_PREFIX.length());
            if (Names.module(driver)) {
                return;
            }
            throw new ConfigException(source, line, "unknown key '" + Printable.clip(key)
                    + "': expected modules.<driver> with a driver name such as modules.nvidia");
        }
        String hint = "";
        String normal = key.toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
        if (KEYS.contains(normal)) {
            hint = " (did you mean '" + normal + "'?)";
        } else if (normal.startsWith(MODULES_PREFIX)) {
            hint = " (did you mean '" + normal + "'?)";
        }
        throw new ConfigException(source, line, "unknown key '" + Printable.clip(key) + "'" + hint
                + "; known keys: " + String.join(", ", KEYS) + ", modules.<driver>");
    }

    // ---------------------------------------------------------------- accessors

    /** Whether the daemon manages this GPU ({@code manage}). */
    public boolean manages(PciDevice gpu) {
        if (manage == null) {
            return true;
        }
        for (Selector s : manage) {
            if (s.matches(gpu)) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code manage = all}. */
    public boolean managesAll() {
        return manage == null;
    }

    /** May the firmware's boot display GPU be claimed ({@code allow_boot_display}). */
    public boolean allowBootDisplay() {
        return allowBootDisplay;
    }

    /** The display manager's unit ({@code display_manager}). */
    public String displayManager() {
        return displayManager;
    }

    /** {@code stop_display_manager}. */
    public DisplayManagerPolicy displayManagerPolicy() {
        return displayManagerPolicy;
    }

    /** Units stopped before a claim when active, started again after release ({@code stop_units}). */
    public List<String> stopUnits() {
        return stopUnits;
    }

    /** {@code unload_host_modules}. */
    public boolean unloadHostModules() {
        return unloadHostModules;
    }

    /**
     * The modules to unload for a host driver, in unload order: {@code modules.<driver>} when set,
     * else the built-in list; empty when neither knows the driver (then use the driver's own module).
     */
    public List<String> modulesFor(String driver) {
        if (driver == null) {
            return List.of();
        }
        List<String> own = moduleOverrides.get(driver);
        if (own != null) {
            return own;
        }
        return DEFAULT_MODULES.getOrDefault(driver, List.of());
    }

    /**
     * Before claiming the boot display GPU, unbind the framebuffer virtual consoles and the firmware
     * framebuffer; bind them again after the release ({@code unbind_consoles}).
     */
    public boolean unbindConsoles() {
        return unbindConsoles;
    }

    /** Deadline for one kernel write ({@code write_timeout}). */
    public Duration writeTimeout() {
        return writeTimeout;
    }

    /** How long to wait for vfio-pci and /dev/vfio/N to appear ({@code settle_timeout}). */
    public Duration settleTimeout() {
        return settleTimeout;
    }

    /** How long a call waits for the host-wide transition lock before Busy ({@code lock_timeout}). */
    public Duration lockTimeout() {
        return lockTimeout;
    }

    /** How often sysfs is re-read; {@link Duration#ZERO} = never ({@code refresh_interval}). */
    public Duration refreshInterval() {
        return refreshInterval;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Config[");
        s.append(MANAGE).append('=').append(manage == null ? "all" : joinSelectors(manage));
        s.append(' ').append(ALLOW_BOOT_DISPLAY).append('=').append(allowBootDisplay);
        s.append(' ').append(DISPLAY_MANAGER).append('=').append(displayManager);
        s.append(' ').append(STOP_DISPLAY_MANAGER).append('=').append(displayManagerPolicy.word());
        s.append(' ').append(STOP_UNITS).append("=[").append(String.join(" ", stopUnits)).append(']');
        s.append(' ').append(UNBIND_CONSOLES).append('=').append(unbindConsoles);
        s.append(' ').append(UNLOAD_HOST_MODULES).append('=').append(unloadHostModules);
        moduleOverrides.forEach((d, m) -> s.append(' ').append(MODULES_PREFIX).append(d).append("=[")
                .append(String.join(" ", m)).append(']'));
        s.append(' ').append(WRITE_TIMEOUT).append('=').append(format(writeTimeout));
        s.append(' ').append(SETTLE_TIMEOUT).append('=').append(format(settleTimeout));
        s.append(' ').append(LOCK_TIMEOUT).append('=').append(format(lockTimeout));
        s.append(' ').append(REFRESH_INTERVAL).append('=').append(format(refreshInterval));
        return s.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Config c)) {
            return false;
        }
        return Objects.equals(manage, c.manage) && allowBootDisplay == c.allowBootDisplay
                && displayManager.equals(c.displayManager) && displayManagerPolicy == c.displayManagerPolicy
                && stopUnits.equals(c.stopUnits) && unloadHostModules == c.unloadHostModules
                && moduleOverrides.equals(c.moduleOverrides) && unbindConsoles == c.unbindConsoles
                && writeTimeout.equals(c.writeTimeout)
                && settleTimeout.equals(c.settleTimeout) && lockTimeout.equals(c.lockTimeout)
                && refreshInterval.equals(c.refreshInterval);
    }

    @Override
    public int hashCode() {
        return Objects.hash(manage, allowBootDisplay, displayManager, displayManagerPolicy, stopUnits,
                unloadHostModules, moduleOverrides, unbindConsoles, writeTimeout, settleTimeout, lockTimeout,
                refreshInterval);
    }

    private static String joinSelectors(List<Selector> selectors) {
        List<String> parts = new ArrayList<>();
        selectors.forEach(x -> parts.add(x.toString()));
        return String.join(" ", parts);
    }

    /** A duration in the file's syntax, in the largest unit that is exact: {@code 10s}, {@code 1500ms}, {@code 2m}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    // ---------------------------------------------------------------- parsing values

    private static final class Builder {
        List<Selector> manage; // null = all
        boolean allowBootDisplay;
        String displayManager = "display-manager.service";
        DisplayManagerPolicy displayManagerPolicy = DisplayManagerPolicy.NEVER;
        List<String> stopUnits = List.of();
        boolean unloadHostModules;
        Map<String, List<String>> moduleOverrides = new TreeMap<>();
        boolean unbindConsoles;
        Duration writeTimeout = Duration.ofSeconds(10);
        Duration settleTimeout = Duration.ofSeconds(5);
        Duration lockTimeout = Duration.ofSeconds(60);
        Duration refreshInterval = Duration.ofSeconds(2);

        Builder() {
        }

        Builder(Config c) {
            manage = c.manage;
            allowBootDisplay = c.allowBootDisplay;
            displayManager = c.displayManager;
            displayManagerPolicy = c.displayManagerPolicy;
            stopUnits = c.stopUnits;
            unloadHostModules = c.unloadHostModules;
            moduleOverrides = new TreeMap<>(c.moduleOverrides);
            unbindConsoles = c.unbindConsoles;
            writeTimeout = c.writeTimeout;
            settleTimeout = c.settleTimeout;
            lockTimeout = c.lockTimeout;
            refreshInterval = c.refreshInterval;
        }

        void set(String key, String value, String source, int line) throws ConfigException {
            Values v = new Values(key, value, source, line);
            switch (key) {
                case MANAGE -> manage = v.manage();
                case ALLOW_BOOT_DISPLAY -> allowBootDisplay = v.bool();
                case DISPLAY_MANAGER -> displayManager = v.unit(true);
                case STOP_DISPLAY_MANAGER -> displayManagerPolicy = v.policy();
                case STOP_UNITS -> stopUnits = v.units();
                case UNLOAD_HOST_MODULES -> unloadHostModules = v.bool();
                case UNBIND_CONSOLES -> unbindConsoles = v.bool();
                case WRITE_TIMEOUT -> writeTimeout = v.timeout();
                case SETTLE_TIMEOUT -> settleTimeout = v.timeout();
                case LOCK_TIMEOUT -> lockTimeout = v.timeout();
                case REFRESH_INTERVAL -> refreshInterval = v.interval();
                default -> {
                    String driver = key.substring(MODULES_PREFIX.length());
                    List<String> modules = v.modules();
                    if (modules.equals(DEFAULT_MODULES.get(driver))) {
                        moduleOverrides.remove(driver); // the built-in list, spelled out
                    } else {
                        moduleOverrides.put(driver, modules);
                    }
                }
            }
        }
    }

    /** One value being parsed, with what an error message needs. */
    private record Values(String key, String value, String source, int line) {

        ConfigException bad(String expected) {
            return new ConfigException(source, line, key + ": " + expected + ", got '" + Printable.clip(value) + "'");
        }

        List<String> words() {
            return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
        }

        boolean bool() throws ConfigException {
            switch (value) {
                case "true", "yes", "on", "1":
                    return true;
                case "false", "no", "off", "0":
                    return false;
                default:
                    throw bad("expected true or false (also yes/no, on/off, 1/0)");
            }
        }

        DisplayManagerPolicy policy() throws ConfigException {
            for (DisplayManagerPolicy p : DisplayManagerPolicy.values()) {
                if (p.word().equals(value)) {
                    return p;
                }
            }
            throw bad("expected never or when-holding");
        }

        Duration duration() throws ConfigException {
            Matcher m = DURATION.matcher(value);
            if (!m.matches()) {
                throw bad("expected a duration like 10s, 500ms or 2m");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }

        Duration timeout() throws ConfigException {
            Duration d = value.equals("0") ? Duration.ZERO : duration();
            if (d.compareTo(MIN_TIMEOUT) < 0 || d.compareTo(MAX_DURATION) > 0) {
                throw bad("must be from 1ms to 60m (one hour)");
            }
            return d;
        }

        Duration interval() throws ConfigException {
            if (value.equals("0")) {
                return Duration.ZERO;
            }
            Duration d = duration();
            if (d.isZero()) {
                return Duration.ZERO;
            }
            if (d.compareTo(MIN_REFRESH) < 0 || d.compareTo(MAX_DURATION) > 0) {
                throw bad("must be 0 (never) or from 100ms to 60m (one hour)");
            }
            return d;
        }

        List<Selector> manage() throws ConfigException {
            List<String> words = words();
            String expected = "expected 'all' or PCI addresses (0000:01:00.0, 01:00.0) and vendor:device ids"
                    + " (10de:2705, 10de:*) separated by spaces";
            if (words.isEmpty()) {
                throw bad(expected);
            }
            if (words.size() == 1 && words.get(0).equals("all")) {
                return null;
            }
            LinkedHashSet<Selector> out = new LinkedHashSet<>();
            for (String w : words) {
                Selector s;
                PciAddress a = PciAddress.tryParse(w);
                Matcher m = IDS.matcher(w);
                if (a != null) {
                    s = new Selector(a, 0, 0);
                } else if (m.matches()) {
                    int device = m.group(2).equals("*") ? -1 : Integer.parseInt(m.group(2), 16);
                    s = new Selector(null, Integer.parseInt(m.group(1), 16), device);
                } else if (w.equals("all")) {
                    throw new ConfigException(source, line, key + ": 'all' cannot be combined with other entries, got '"
                            + Printable.clip(value) + "'");
                } else {
                    throw new ConfigException(source, line, key + ": '" + Printable.clip(w) + "' is neither a PCI address"
                            + " (0000:01:00.0, 01:00.0) nor a vendor:device id (10de:2705, 10de:*)");
                }
                if (!out.add(s)) {
                    throw new ConfigException(source, line, key + ": '" + Printable.clip(w) + "' is listed twice");
                }
            }
            return new ArrayList<>(out);
        }

        String unit(boolean serviceOnly) throws ConfigException {
            List<String> words = words();
            if (words.size() != 1) {
                throw bad("expected one systemd unit name such as display-manager.service");
            }
            return checkUnit(words.get(0), serviceOnly);
        }

        List<String> units() throws ConfigException {
            List<String> out = new ArrayList<>();
            for (String w : words()) {
                String u = checkUnit(w, false);
                if (out.contains(u)) {
                    throw new ConfigException(source, line, key + ": '" + Printable.clip(w) + "' is listed twice");
                }
                out.add(u);
            }
            return out;
        }

        private String checkUnit(String name, boolean serviceOnly) throws ConfigException {
            int dot = name.lastIndexOf('.');
            String prefix = dot < 0 ? name : name.substring(0, dot);
            if (!(serviceOnly ? Names.service(name) : Names.unit(name))) {
                String hint = "";
                if (dot < 0 && Names.module(name)) {
                    hint = " (did you mean '" + name + ".service'?)";
                }
                if (prefix.endsWith("@")) {
                    hint = " (a template needs an instance, e.g. name@instance.service)";
                }
                throw new ConfigException(source, line, key + ": '" + Printable.clip(name) + "' is not a systemd "
                        + (serviceOnly ? "service" : "unit") + " name such as "
                        + (serviceOnly ? "sddm.service" : "nvidia-persistenced.service") + hint);
            }
            return name;
        }

        List<String> modules() throws ConfigException {
            List<String> words = words();
            if (words.isEmpty()) {
                throw bad("expected one or more kernel module names in unload order, such as nvidia_drm nvidia");
            }
            List<String> out = new ArrayList<>();
            for (String w : words) {
                if (!Names.module(w)) {
                    throw new ConfigException(source, line, key + ": '" + Printable.clip(w)
                            + "' is not a kernel module name (letters, digits, _ and -)");
                }
                String m = Names.kernelModuleName(w); // as /proc/modules shows it
                if (out.contains(m)) {
                    throw new ConfigException(source, line, key + ": '" + Printable.clip(w) + "' is listed twice");
                }
                out.add(m);
            }
            return out;
        }
    }
}
