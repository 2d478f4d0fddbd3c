package org.gpupass.config;

import static org.gpupass.config.ConfigKeys.ALLOW_BOOT_DISPLAY;
import static org.gpupass.config.ConfigKeys.DEFAULT_MODULES;
import static org.gpupass.config.ConfigKeys.DISPLAY_MANAGER;
import static org.gpupass.config.ConfigKeys.LOCK_TIMEOUT;
import static org.gpupass.config.ConfigKeys.MANAGE;
import static org.gpupass.config.ConfigKeys.MODULES_PREFIX;
import static org.gpupass.config.ConfigKeys.REFRESH_INTERVAL;
import static org.gpupass.config.ConfigKeys.SETTLE_TIMEOUT;
import static org.gpupass.config.ConfigKeys.STOP_DISPLAY_MANAGER;
import static org.gpupass.config.ConfigKeys.STOP_UNITS;
import static org.gpupass.config.ConfigKeys.UNBIND_CONSOLES;
import static org.gpupass.config.ConfigKeys.UNLOAD_HOST_MODULES;
import static org.gpupass.config.ConfigKeys.WRITE_TIMEOUT;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A configuration being assembled, key by key, from the defaults (the values docs/configuration.md gives). */
final class ConfigBuilder {
    private GpuSelection manage = GpuSelection.ALL;
    private boolean allowBootDisplay;
    private String displayManager = "display-manager.service";
    private Config.DisplayManagerPolicy displayManagerPolicy = Config.DisplayManagerPolicy.NEVER;
    private List<String> stopUnits = List.of();
    private boolean unloadHostModules;
    private final Map<String, List<String>> moduleOverrides = new TreeMap<>();
    private boolean unbindConsoles;
    private Duration writeTimeout = Duration.ofSeconds(10);
    private Duration settleTimeout = Duration.ofSeconds(5);
    private Duration lockTimeout = Duration.ofSeconds(60);
    private Duration refreshInterval = Duration.ofSeconds(2);

    ConfigBuilder() {
    }

    ConfigBuilder(Config c) {
        manage = c.manage();
        allowBootDisplay = c.allowBootDisplay();
        displayManager = c.displayManager();
        displayManagerPolicy = c.displayManagerPolicy();
        stopUnits = c.stopUnits();
        unloadHostModules = c.unloadHostModules();
        moduleOverrides.putAll(c.moduleOverrides());
        unbindConsoles = c.unbindConsoles();
        writeTimeout = c.writeTimeout();
        settleTimeout = c.settleTimeout();
        lockTimeout = c.lockTimeout();
        refreshInterval = c.refreshInterval();
    }

    /** Sets a known key from its text; {@code source} and {@code line} go into the error. */
    ConfigBuilder set(String key, String value, String source, int line) throws ConfigException {
        ConfigValues v = new ConfigValues(key, value, source, line);
        switch (key) {
            case MANAGE -> manage = v.manage();
            case ALLOW_BOOT_DISPLAY -> allowBootDisplay = v.bool();
            case DISPLAY_MANAGER -> displayManager = v.service();
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
        return this;
    }

    Config build() {
        return new Config(manage, allowBootDisplay, displayManager, displayManagerPolicy, stopUnits,
                unloadHostModules, moduleOverrides, unbindConsoles, writeTimeout, settleTimeout, lockTimeout,
                refreshInterval);
    }
}
