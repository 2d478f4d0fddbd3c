package org.gpupass.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.gpupass.model.PciDevice;

/**
 * The daemon's configuration, {@code /etc/gpupassd/gpupassd.conf}: immutable, validated when parsed
 * ({@link ConfigFile} reads the file, {@link ConfigValues} each value). See docs/configuration.md.
 *
 * @param manage               which GPUs the daemon manages
 * @param allowBootDisplay     may the firmware's boot display GPU be claimed
 * @param displayManager       the display manager's unit
 * @param displayManagerPolicy {@code stop_display_manager}
 * @param stopUnits            units stopped before a claim when active, started again after release
 * @param unloadHostModules    {@code unload_host_modules}
 * @param moduleOverrides      {@code modules.<driver>} lists that differ from the built-in ones
 * @param unbindConsoles       before claiming the boot display GPU, unbind the framebuffer virtual
 *                             consoles and the firmware framebuffer; bind them again after the release
 * @param writeTimeout         deadline for one kernel write
 * @param settleTimeout        how long to wait for vfio-pci and /dev/vfio/N to appear
 * @param lockTimeout          how long a call waits for the host-wide transition lock before Busy
 * @param refreshInterval      how often sysfs is re-read; {@link Duration#ZERO} = never
 */
public record Config(GpuSelection manage, boolean allowBootDisplay, String displayManager,
                     DisplayManagerPolicy displayManagerPolicy, List<String> stopUnits, boolean unloadHostModules,
                     Map<String, List<String>> moduleOverrides, boolean unbindConsoles, Duration writeTimeout,
                     Duration settleTimeout, Duration lockTimeout, Duration refreshInterval) {

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

    private static final Config DEFAULTS = new ConfigBuilder().build();

    public Config {
        Objects.requireNonNull(manage, "manage");
        stopUnits = List.copyOf(stopUnits);
        moduleOverrides = Collections.unmodifiableMap(new TreeMap<>(moduleOverrides));
    }

    /** Every key at its default, as with a missing or empty file. */
    public static Config defaults() {
        return DEFAULTS;
    }

    /** Reads the file; a missing file means {@link #defaults()}. */
    public static Config load(Path file) throws ConfigException {
        return ConfigFile.load(file);
    }

    /** Parses the text of a configuration file; {@code sourceName} is used in error messages. */
    public static Config parse(String text, String sourceName) throws ConfigException {
        return ConfigFile.parse(text, sourceName);
    }

    /**
     * A copy with one key set as if the file said {@code key = value} (replacing any earlier
     * setting); errors name the source {@code with()}.
     */
    public Config with(String key, String value) throws ConfigException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        ConfigKeys.checkKnown(key.strip(), "with()", 0);
        return new ConfigBuilder(this).set(key.strip(), value.strip(), "with()", 0).build();
    }

    /** Whether the daemon manages this GPU ({@code manage}). */
    public boolean manages(PciDevice gpu) {
        return manage.includes(gpu);
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
        return own != null ? own : ConfigKeys.DEFAULT_MODULES.getOrDefault(driver, List.of());
    }

    /** Every key and its value, compactly, in documentation order (for the log). */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Config[");
        s.append(ConfigKeys.MANAGE).append('=').append(manage);
        s.append(' ').append(ConfigKeys.ALLOW_BOOT_DISPLAY).append('=').append(allowBootDisplay);
        s.append(' ').append(ConfigKeys.DISPLAY_MANAGER).append('=').append(displayManager);
        s.append(' ').append(ConfigKeys.STOP_DISPLAY_MANAGER).append('=').append(displayManagerPolicy.word());
        s.append(' ').append(ConfigKeys.STOP_UNITS).append("=[").append(String.join(" ", stopUnits)).append(']');
        s.append(' ').append(ConfigKeys.UNBIND_CONSOLES).append('=').append(unbindConsoles);
        s.append(' ').append(ConfigKeys.UNLOAD_HOST_MODULES).append('=').append(unloadHostModules);
        moduleOverrides.forEach((d, m) -> s.append(' ').append(ConfigKeys.MODULES_PREFIX).append(d).append("=[")
                .append(String.join(" ", m)).append(']'));
        s.append(' ').append(ConfigKeys.WRITE_TIMEOUT).append('=').append(format(writeTimeout));
        s.append(' ').append(ConfigKeys.SETTLE_TIMEOUT).append('=').append(format(settleTimeout));
        s.append(' ').append(ConfigKeys.LOCK_TIMEOUT).append('=').append(format(lockTimeout));
        s.append(' ').append(ConfigKeys.REFRESH_INTERVAL).append('=').append(format(refreshInterval));
        return s.append(']').toString();
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
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
