package org.gpupass.config;

import static org.gpupass.config.ConfigFixtures.INTEL;
import static org.gpupass.config.ConfigFixtures.NVIDIA;
import static org.gpupass.config.ConfigFixtures.assertRefusedContaining;
import static org.gpupass.config.ConfigFixtures.assertRefusedStartingWith;
import static org.gpupass.config.ConfigFixtures.fails;
import static org.gpupass.config.ConfigFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration file as text: defaults, lines, keys and their errors; loading files, with(), toString. */
class ConfigSyntaxTest {

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
        assertRefusedContaining("Write-Timeout = 1s", "did you mean 'write_timeout'");
    }

    @Test
    void duplicateKeyNamesBothLines() {
        assertEquals("gpupassd.conf:3: lock_timeout: set twice (first on line 1); keep one",
                fails("lock_timeout = 1s\n# x\nlock_timeout = 2s\n").getMessage());
    }

    @Test
    void duplicateModulesKeyIsRefused() {
        assertRefusedStartingWith("modules.nvidia = nvidia\nmodules.nvidia = nvidia\n",
                "gpupassd.conf:2: modules.nvidia: set twice");
    }

    @Test
    void lineWithoutEqualsSignIsRefused() {
        assertEquals("gpupassd.conf:2: expected 'key = value', got 'write_timeout 10s'",
                fails("\nwrite_timeout 10s").getMessage());
        assertRefusedStartingWith("= 10s", "gpupassd.conf:1: expected 'key = value'");
    }

    @Test
    void inlineCommentsAreNotSupportedAndSoRefused() {
        assertRefusedStartingWith("write_timeout = 10s # ten seconds",
                "gpupassd.conf:1: write_timeout: expected a duration");
    }

    @Test
    void controlCharactersInValuesAreNotEchoed() {
        String msg = fails("display_manager = a\u001b[31m.service").getMessage();
        assertFalse(msg.contains("\u001b"), msg);
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
}
