package org.gpupass.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigTest {

    private static final PciDevice NVIDIA = gpu("0000:01:00.0", 0x10de, 0x2705);
    private static final PciDevice NVIDIA_OTHER = gpu("0000:02:00.0", 0x10de, 0x2684);
    private static final PciDevice NVIDIA_DOMAIN1 = gpu("0001:01:00.0", 0x10de, 0x2705);
    private static final PciDevice INTEL = gpu("0000:00:02.0", 0x8086, 0xa780);
    private static final PciDevice AMD = gpu("0000:03:00.0", 0x1002, 0x744c);

    private static PciDevice gpu(String address, int vendor, int device) {
        return new PciDevice(PciAddress.tryParse(address), vendor, device, 0x030000, null, "", "", 1, false, List.of());
    }

    private static Config parse(String text) throws ConfigException {
        return Config.parse(text, "gpupassd.conf");
    }

    private static ConfigException fails(String text) {
        return assertThrows(ConfigException.class, () -> parse(text));
    }

    // ------------------------------------------------------------ defaults and syntax

    @Test
    void defaultsAreTheDocumentedValues() {
        Config c = Config.defaults();
        assertEquals(GpuSelection.ALL, c.manage());
        assertTrue(c.manages(NVIDIA));
        assertTrue(c.manages(INTEL));
        assertFalse(c.allowBootDisplay());
        assertEquals("display-manager.service", c.displayManager());
        assertEquals(Config.DisplayManagerPolicy.NEVER, c.displayManagerPolicy());
        assertEquals(List.of(), c.stopUnits());
        assertFalse(c.unloadHostModules());
        assertFalse(c.unbindConsoles());
        assertEquals(List.of("nvidia_drm", "nvidia_modeset", "nvidia_uvm", "nvidia"), c.modulesFor("nvidia"));
        assertEquals(List.of("amdgpu"), c.modulesFor("amdgpu"));
        assertEquals(List.of("nouveau"), c.modulesFor("nouveau"));
        assertEquals(List.of("radeon"), c.modulesFor("radeon"));
        assertEquals(List.of(), c.modulesFor("i915"));
        assertEquals(List.of(), c.modulesFor(null));
        assertEquals(Duration.ofSeconds(10), c.writeTimeout());
        assertEquals(Duration.ofSeconds(5), c.settleTimeout());
        assertEquals(Duration.ofSeconds(60), c.lockTimeout());
        assertEquals(Duration.ofSeconds(2), c.refreshInterval());
    }

    @Test
    void emptyTextCommentsAndBlankLinesAreDefaults() throws Exception {
        assertEquals(Config.defaults(), parse(""));
        assertEquals(Config.defaults(), parse("# a comment\n\n   \n\t# indented comment\r\n#write_timeout = x\n"));
    }

    @Test
    void theShippedExampleFileIsExactlyTheDefaults() throws Exception {
        Path example = Path.of("etc/gpupassd.conf");
        String text = Files.readString(example);
        assertEquals(Config.defaults(), Config.parse(text, "etc/gpupassd.conf"));
        // and uncommenting every key line still gives the defaults
        StringBuilder uncommented = new StringBuilder();
        int keys = 0;
        for (String line : text.split("\n")) {
            if (line.matches("#[a-z_.]+ = .*") || line.matches("#[a-z_.]+ =")) {
                uncommented.append(line.substring(1)).append('\n');
                keys++;
            }
        }
        assertEquals(Config.defaults(), Config.parse(uncommented.toString(), "uncommented"));
        assertTrue(keys >= 12, "every key appears in etc/gpupassd.conf, found " + keys);
        assertTrue(text.contains("\n#unbind_consoles = false\n"), "unbind_consoles is in etc/gpupassd.conf");
    }

    @Test
    void keysAndValuesAreTrimmedAndCrlfAccepted() throws Exception {
        Config c = parse("  write_timeout   =   250ms  \r\n\tallow_boot_display=yes\r\n");
        assertEquals(Duration.ofMillis(250), c.writeTimeout());
        assertTrue(c.allowBootDisplay());
    }

    @Test
    void aByteOrderMarkIsIgnored() throws Exception {
        assertEquals(Duration.ofSeconds(3), parse("\uFEFFwrite_timeout = 3s\n").writeTimeout());
    }

    @Test
    void unknownKeyNamesFileLineAndKey() {
        ConfigException e = fails("# c\n\nwrite_timeout = 1s\nfoo = bar\n");
        assertTrue(e.getMessage().startsWith("gpupassd.conf:4: unknown key 'foo'"), e.getMessage());
        assertEquals(4, e.line());
        assertEquals("gpupassd.conf", e.source());
    }

    @Test
    void unknownKeyWithWrongCaseOrDashSuggestsTheRightOne() {
        assertTrue(fails("Write-Timeout = 1s").getMessage().contains("did you mean 'write_timeout'"));
    }

    @Test
    void duplicateKeyNamesBothLines() {
        ConfigException e = fails("lock_timeout = 1s\n# x\nlock_timeout = 2s\n");
        assertEquals("gpupassd.conf:3: lock_timeout: set twice (first on line 1); keep one", e.getMessage());
    }

    @Test
    void duplicateModulesKeyIsRefused() {
        assertTrue(fails("modules.nvidia = nvidia\nmodules.nvidia = nvidia\n").getMessage()
                .startsWith("gpupassd.conf:2: modules.nvidia: set twice"));
    }

    @Test
    void lineWithoutEqualsSignIsRefused() {
        assertEquals("gpupassd.conf:2: expected 'key = value', got 'write_timeout 10s'",
                fails("\nwrite_timeout 10s").getMessage());
        assertTrue(fails("= 10s").getMessage().startsWith("gpupassd.conf:1: expected 'key = value'"));
    }

    @Test
    void inlineCommentsAreNotSupportedAndSoRefused() {
        ConfigException e = fails("write_timeout = 10s # ten seconds");
        assertTrue(e.getMessage().startsWith("gpupassd.conf:1: write_timeout: expected a duration"), e.getMessage());
    }

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
        ConfigException e = fails("# head\n" + key + " = " + value);
        assertTrue(e.getMessage().startsWith("gpupassd.conf:2: " + key + ": expected a duration like 10s, 500ms or 2m"),
                e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"write_timeout,0s", "write_timeout,0", "settle_timeout,0ms", "settle_timeout,61m",
            "lock_timeout,3601s", "lock_timeout,3600001ms"})
    void timeoutsOutOfBounds(String key, String value) {
        ConfigException e = fails(key + " = " + value);
        assertTrue(e.getMessage().contains(key + ": must be from 1ms to 60m"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"99ms", "1ms", "61m", "3601s"})
    void refreshIntervalOutOfBounds(String value) {
        ConfigException e = fails("refresh_interval = " + value);
        assertTrue(e.getMessage().startsWith("gpupassd.conf:1: refresh_interval: must be 0 (never) or from 100ms to 60m"),
                e.getMessage());
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
        ConfigException e = fails(key + " = " + value);
        assertTrue(e.getMessage().startsWith("gpupassd.conf:1: " + key + ": expected true or false"), e.getMessage());
    }

    @Test
    void unbindConsolesIsItsOwnKeyAndPartOfEquality() throws Exception {
        Config on = parse("unbind_consoles = yes");
        assertTrue(on.unbindConsoles());
        assertFalse(on.equals(Config.defaults()));
        assertEquals(on, Config.defaults().with("unbind_consoles", "on"));
        assertEquals(on.hashCode(), Config.defaults().with("unbind_consoles", "on").hashCode());
        assertTrue(on.toString().contains(" unbind_consoles=true "), on.toString());
        ConfigException twice = fails("unbind_consoles = yes\nunbind_consoles = no");
        assertTrue(twice.getMessage().startsWith("gpupassd.conf:2: unbind_consoles: set twice (first on line 1)"),
                twice.getMessage());
        ConfigException typo = fails("unbind-consoles = yes");
        assertTrue(typo.getMessage().contains("(did you mean 'unbind_consoles'?)"), typo.getMessage());
    }

    @Test
    void displayManagerPolicy() throws Exception {
        assertEquals(Config.DisplayManagerPolicy.WHEN_HOLDING,
                parse("stop_display_manager = when-holding").displayManagerPolicy());
        assertEquals(Config.DisplayManagerPolicy.NEVER, parse("stop_display_manager = never").displayManagerPolicy());
        assertEquals("gpupassd.conf:1: stop_display_manager: expected never or when-holding, got 'always'",
                fails("stop_display_manager = always").getMessage());
        assertTrue(fails("stop_display_manager = when_holding").getMessage().contains("expected never or when-holding"));
    }

    // ------------------------------------------------------------ units and modules

    @Test
    void displayManagerTakesOneServiceName() throws Exception {
        assertEquals("sddm.service", parse("display_manager = sddm.service").displayManager());
        assertEquals("gdm.service", parse("display_manager=gdm.service").displayManager());
        assertTrue(fails("display_manager = sddm").getMessage()
                .startsWith("gpupassd.conf:1: display_manager: 'sddm' is not a systemd service name"));
        assertTrue(fails("display_manager = sddm").getMessage().contains("did you mean 'sddm.service'"));
        assertTrue(fails("display_manager = graphical.target").getMessage().contains("not a systemd service name"));
        assertTrue(fails("display_manager = a.service b.service").getMessage()
                .contains("display_manager: expected one systemd unit name"));
        assertTrue(fails("display_manager =").getMessage().contains("display_manager: expected one systemd unit name"));
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
        ConfigException e = fails("stop_units = " + value);
        assertTrue(e.getMessage().startsWith("gpupassd.conf:1: stop_units: "), e.getMessage());
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
        assertTrue(fails("modules.nvidia =").getMessage()
                .startsWith("gpupassd.conf:1: modules.nvidia: expected one or more kernel module names"));
        assertTrue(fails("modules.nvidia = nvidia ../evil").getMessage()
                .startsWith("gpupassd.conf:1: modules.nvidia: '../evil' is not a kernel module name"));
        assertTrue(fails("modules.nvidia = nvidia nvidia").getMessage().contains("listed twice"));
        assertTrue(fails("modules. = nvidia").getMessage().startsWith("gpupassd.conf:1: unknown key 'modules.'"));
        assertTrue(fails("modules.a/b = nvidia").getMessage().startsWith("gpupassd.conf:1: unknown key 'modules.a/b'"));
    }

    // ------------------------------------------------------------ manage

    @Test
    void manageAll() throws Exception {
        Config c = parse("manage = all");
        assertEquals(GpuSelection.ALL, c.manage());
        assertTrue(c.manages(AMD));
    }

    @Test
    void manageByFullAddress() throws Exception {
        Config c = parse("manage = 0000:01:00.0");
        assertNotEquals(GpuSelection.ALL, c.manage());
        assertTrue(c.manages(NVIDIA));
        assertFalse(c.manages(NVIDIA_OTHER));
        assertFalse(c.manages(NVIDIA_DOMAIN1));
        assertFalse(c.manages(INTEL));
    }

    @Test
    void manageByShortAddressMeansDomainZero() throws Exception {
        Config c = parse("manage = 01:00.0");
        assertTrue(c.manages(NVIDIA));
        assertFalse(c.manages(NVIDIA_DOMAIN1));
        assertTrue(parse("manage = 0001:01:00.0").manages(NVIDIA_DOMAIN1));
    }

    @Test
    void manageByVendorAndDevice() throws Exception {
        Config c = parse("manage = 10DE:2705");
        assertTrue(c.manages(NVIDIA));
        assertTrue(c.manages(NVIDIA_DOMAIN1));
        assertFalse(c.manages(NVIDIA_OTHER));
        assertFalse(c.manages(INTEL));
    }

    @Test
    void manageByVendorWildcard() throws Exception {
        Config c = parse("manage = 10de:*");
        assertTrue(c.manages(NVIDIA));
        assertTrue(c.manages(NVIDIA_OTHER));
        assertFalse(c.manages(AMD));
        assertFalse(c.manages(INTEL));
    }

    @Test
    void manageMixedList() throws Exception {
        Config c = parse("manage = 1002:*   00:02.0");
        assertTrue(c.manages(AMD));
        assertTrue(c.manages(INTEL));
        assertFalse(c.manages(NVIDIA));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"''", "ALL", "all 01:00.0", "01:00", "1:00.0", "0000:01:00.8",
            "10de", "10de:27051", "*:2705", "10de:27*", "01:00.0 01:00.0", "nvidia"})
    void badManage(String value) {
        ConfigException e = fails("manage = " + value);
        assertTrue(e.getMessage().startsWith("gpupassd.conf:1: manage: "), e.getMessage());
    }

    // ------------------------------------------------------------ files, with(), toString

    @Test
    void missingFileIsDefaults(@TempDir Path dir) throws Exception {
        assertSame(Config.defaults(), Config.load(dir.resolve("gpupassd.conf")));
    }

    @Test
    void loadReadsTheFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gpupassd.conf");
        Files.writeString(file, "lock_timeout = 5m\n");
        assertEquals(Duration.ofMinutes(5), Config.load(file).lockTimeout());
        Files.writeString(file, "lock_timeout = 5m\nbogus = 1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(file));
        assertTrue(e.getMessage().startsWith(file + ":2: unknown key 'bogus'"), e.getMessage());
    }

    @Test
    void unreadableFilesAreErrorsNotDefaults(@TempDir Path dir) throws IOException {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.load(dir));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        Path bad = dir.resolve("latin1.conf");
        Files.write(bad, "display_manager = caf\u00e9.service\n".getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(assertThrows(ConfigException.class, () -> Config.load(bad)).getMessage().contains("not valid UTF-8"));
    }

    @Test
    void withReturnsAModifiedCopy() throws Exception {
        Config base = Config.defaults();
        Config c = base.with("write_timeout", "20ms").with("manage", "10de:*");
        assertEquals(Duration.ofMillis(20), c.writeTimeout());
        assertFalse(c.manages(INTEL));
        assertEquals(Duration.ofSeconds(10), base.writeTimeout());
        assertEquals(GpuSelection.ALL, base.manage());
        assertEquals(Duration.ofSeconds(1), c.with("write_timeout", "1s").writeTimeout());
        assertTrue(assertThrows(ConfigException.class, () -> base.with("write_timeout", "soon")).getMessage()
                .startsWith("with(): write_timeout: expected a duration"));
        assertThrows(ConfigException.class, () -> base.with("nope", "1"));
    }

    @Test
    void toStringIsCompactAndComplete() throws Exception {
        assertEquals("Config[manage=all allow_boot_display=false display_manager=display-manager.service"
                        + " stop_display_manager=never stop_units=[] unbind_consoles=false unload_host_modules=false"
                        + " write_timeout=10s"
                        + " settle_timeout=5s lock_timeout=1m refresh_interval=2s]",
                Config.defaults().toString());
        String s = parse("manage = 10de:* 01:00.0\nmodules.nvidia = nvidia\nrefresh_interval = 0\nsettle_timeout=1500ms")
                .toString();
        assertTrue(s.contains("manage=10de:* 0000:01:00.0 "), s);
        assertTrue(s.contains(" modules.nvidia=[nvidia] "), s);
        assertTrue(s.contains(" refresh_interval=0]"), s);
        assertTrue(s.contains(" settle_timeout=1500ms "), s);
    }

    @Test
    void controlCharactersInValuesAreNotEchoed() {
        String msg = fails("display_manager = a\u001b[31m.service").getMessage();
        assertFalse(msg.contains("\u001b"), msg);
    }
}
