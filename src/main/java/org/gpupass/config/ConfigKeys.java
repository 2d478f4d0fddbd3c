package org.gpupass.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.gpupass.model.Names;
import org.gpupass.model.Printable;

/** The configuration's keys, their documented order, and the check that a key is one of them. */
final class ConfigKeys {
    static final String MANAGE = "manage";
    static final String ALLOW_BOOT_DISPLAY = "allow_boot_display";
    static final String DISPLAY_MANAGER = "display_manager";
    static final String STOP_DISPLAY_MANAGER = "stop_display_manager";
    static final String STOP_UNITS = "stop_units";
    static final String UNLOAD_HOST_MODULES = "unload_host_modules";
    static final String UNBIND_CONSOLES = "unbind_consoles";
    static final String MODULES_PREFIX = "modules.";
    static final String WRITE_TIMEOUT = "write_timeout";
    static final String SETTLE_TIMEOUT = "settle_timeout";
    static final String LOCK_TIMEOUT = "lock_timeout";
    static final String REFRESH_INTERVAL = "refresh_interval";

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

    private ConfigKeys() {
    }

    /** Throws unless {@code key} is known; the message suggests the key that was probably meant. */
    static void checkKnown(String key, String source, int line) throws ConfigException {
        if (KEYS.contains(key)) {
            return;
        }
        if (key.startsWith(MODULES_PREFIX)) {
            if (Names.module(key.substring(MODULES_PREFIX.length()))) {
                return;
            }
            throw new ConfigException(source, line, "unknown key '" + Printable.clip(key)
                    + "': expected modules.<driver> with a driver name such as modules.nvidia");
        }
        String normal = key.toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
        String hint = KEYS.contains(normal) || normal.startsWith(MODULES_PREFIX)
                ? " (did you mean '" + normal + "'?)" : "";
        throw new ConfigException(source, line, "unknown key '" + Printable.clip(key) + "'" + hint
                + "; known keys: " + String.join(", ", KEYS) + ", modules.<driver>");
    }
}
