package org.gpupass.config;

import static org.gpupass.config.ConfigFixtures.assertRefusedContaining;
import static org.gpupass.config.ConfigFixtures.assertRefusedStartingWith;
import static org.gpupass.config.ConfigFixtures.fails;
import static org.gpupass.config.ConfigFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The typed values: durations and their bounds, booleans, the display manager's words, units and modules. */
class ConfigValuesTest {

    // ------------------------------------------------------------ durations

    @Test
    void durationErrorHasTheDocumentedForm() {
        assertEquals("gpupassd.conf:12: write_timeout: expected a duration like 10s, 500ms or 2m, got 'x'",
                fails("\n".repeat(11) + "write_timeout = x").getMessage());
    }

    @ParameterizedTest
    @CsvSource({"write_timeout,1ms,1", "write_timeout,60m,3600000", "settle_timeout,500ms,500",
            "settle_timeout,2m,120000", "lock_timeout,3600s,3600000", "lock_timeout,90s,90000",
            "refresh_interval,0,0", "refresh_interval,0s,0", "refresh_interval,0ms,0", "refresh_interval,100ms,100",
            "refresh_interval,60m,3600000"})
    void validDurations(String key, String value, long millis) throws Exception {
        Config c = parse(key + " = " + value);
        Duration d = switch (key) {
            case "write_timeout" -> c.writeTimeout();
            case "settle_timeout" -> c.settleTimeout();
            case "lock_timeout" -> c.lockTimeout();
            default -> c.refreshInterval();
        };
        assertEquals(Duration.ofMillis(millis), d);
    }

    @ParameterizedTest
    @CsvSource({"write_timeout,10", "write_timeout,10 s", "write_timeout,-1s", "write_timeout,1.5s",
            "write_timeout,1h", "write_timeout,10S", "write_timeout,''", "settle_timeout,s",
            "lock_timeout,9999999999s", "refresh_interval,2 s", "refresh_interval,never"})
    void malformedDurations(String key, String value) {
        assertRefusedStartingWith("# head\n" + key + " = " + value,
                "gpupassd.conf:2: " + key + ": expected a duration like 10s, 500ms or 2m");
    }

    @ParameterizedTest
    @CsvSource({"write_timeout,0s", "write_timeout,0", "settle_timeout,0ms", "settle_timeout,61m",
            "lock_timeout,3601s", "lock_timeout,3600001ms"})
    void timeoutsOutOfBounds(String key, String value) {
        assertRefusedContaining(key + " = " + value, key + ": must be from 1ms to 60m");
    }

    @ParameterizedTest
    @CsvSource({"99ms", "1ms", "61m", "3601s"})
    void refreshIntervalOutOfBounds(String value) {
        assertRefusedStartingWith("refresh_interval = " + value,
                "gpupassd.conf:1: refresh_interval: must be 0 (never) or from 100ms to 60m");
    }

    // ------------------------------------------------------------ booleans and words

    @ParameterizedTest
    @CsvSource({"true,true", "yes,true", "on,true", "1,true", "false,false", "no,false", "off,false", "0,false"})
    void booleans(String value, boolean expected) throws Exception {
        assertEquals(expected, parse("allow_boot_display = " + value).allowBootDisplay());
        assertEquals(expected, parse("unload_host_modules = " + value).unloadHostModules());
        assertEquals(expected, parse("unbind_consoles = " + value).unbindConsoles());
    }

    @ParameterizedTest
    @CsvSource({"allow_boot_display,TRUE", "allow_boot_display,y", "allow_boot_display,''",
            "unload_host_modules,2", "unload_host_modules,enabled", "unload_host_modules,true false",
            "unbind_consoles,Yes", "unbind_consoles,''", "unbind_consoles,yes # single GPU"})
    void badBooleans(String key, String value) {
        assertRefusedStartingWith(key + " = " + value, "gpupassd.conf:1: " + key + ": expected true or false");
    }

    @Test
    void unbindConsolesIsItsOwnKeyAndPartOfEquality() throws Exception {
        Config on = parse("unbind_consoles = yes");
        assertTrue(on.unbindConsoles());
        assertFalse(on.equals(Config.defaults()));
        assertEquals(on, Config.defaults().with("unbind_consoles", "on"));
        assertEquals(on.hashCode(), Config.defaults().with("unbind_consoles", "on").hashCode());
        assertTrue(on.toString().contains(" unbind_consoles=true "), on.toString());
        assertRefusedStartingWith("unbind_consoles = yes\nunbind_consoles = no",
                "gpupassd.conf:2: unbind_consoles: set twice (first on line 1)");
        assertRefusedContaining("unbind-consoles = yes", "(did you mean 'unbind_consoles'?)");
    }

    @Test
    void displayManagerPolicy() throws Exception {
        assertEquals(Config.DisplayManagerPolicy.WHEN_HOLDING,
                parse("stop_display_manager = when-holding").displayManagerPolicy());
        assertEquals(Config.DisplayManagerPolicy.NEVER, parse("stop_display_manager = never").displayManagerPolicy());
        assertEquals("gpupassd.conf:1: stop_display_manager: expected never or when-holding, got 'always'",
                fails("stop_display_manager = always").getMessage());
        assertRefusedContaining("stop_display_manager = when_holding", "expected never or when-holding");
    }

    // ------------------------------------------------------------ units and modules

    @Test
    void displayManagerTakesOneServiceName() throws Exception {
        assertEquals("sddm.service", parse("display_manager = sddm.service").displayManager());
        assertEquals("gdm.service", parse("display_manager=gdm.service").displayManager());
        assertRefusedStartingWith("display_manager = sddm",
                "gpupassd.conf:1: display_manager: 'sddm' is not a systemd service name");
        assertRefusedContaining("display_manager = sddm", "did you mean 'sddm.service'");
        assertRefusedContaining("display_manager = graphical.target", "not a systemd service name");
        assertRefusedContaining("display_manager = a.service b.service",
                "display_manager: expected one systemd unit name");
        assertRefusedContaining("display_manager =", "display_manager: expected one systemd unit name");
    }

    @Test
    void stopUnitsIsAListOfUnitNames() throws Exception {
        assertEquals(List.of("nvidia-persistenced.service", "getty@tty2.service", "foo.socket"),
                parse("stop_units = nvidia-persistenced.service  getty@tty2.service\tfoo.socket").stopUnits());
        assertEquals(List.of(), parse("stop_units =").stopUnits());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"nvidia-persistenced", "-x.service", ".service", "foo.bar",
            "getty@.service", "a/b.service", "a;reboot.service", "x.service x.service"})
    void badStopUnits(String value) {
        assertRefusedStartingWith("stop_units = " + value, "gpupassd.conf:1: stop_units: ");
    }

    @Test
    void modulesOverrideTheBuiltInListForThatDriverOnly() throws Exception {
        Config c = parse("modules.nvidia = nvidia-drm nvidia_modeset nvidia\nmodules.i915 = i915");
        assertEquals(List.of("nvidia_drm", "nvidia_modeset", "nvidia"), c.modulesFor("nvidia"));
        assertEquals(List.of("i915"), c.modulesFor("i915"));
        assertEquals(List.of("amdgpu"), c.modulesFor("amdgpu"));
        assertEquals(List.of(), c.modulesFor("xe"));
    }

    @Test
    void badModules() {
        assertRefusedStartingWith("modules.nvidia =",
                "gpupassd.conf:1: modules.nvidia: expected one or more kernel module names");
        assertRefusedStartingWith("modules.nvidia = nvidia ../evil",
                "gpupassd.conf:1: modules.nvidia: '../evil' is not a kernel module name");
        assertRefusedContaining("modules.nvidia = nvidia nvidia", "listed twice");
        assertRefusedStartingWith("modules. = nvidia", "gpupassd.conf:1: unknown key 'modules.'");
        assertRefusedStartingWith("modules.a/b = nvidia", "gpupassd.conf:1: unknown key 'modules.a/b'");
    }
}
