package org.gpupass.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.gpupass.model.Printable;

/**
 * Reads {@code gpupassd.conf}: {@code key = value} lines; lines whose first non-blank character is
 * {@code #} are comments; blank lines are ignored; keys and values are trimmed. There are no inline
 * comments: {@code #} after a value is part of the value (and makes every value with a fixed syntax
 * invalid, so a mistake is reported, never silently accepted). An unknown key, a key given twice or
 * a bad value is a {@link ConfigException} naming the file, the line and the key.
 */
final class ConfigFile {
    /** Largest configuration file read (a config is a few hundred bytes). */
    static final int MAX_FILE_BYTES = 1 << 20;

    private ConfigFile() {
    }

    /**
     * A missing file means the defaults. A file that exists but cannot be read (a directory, no
     * permission, not UTF-8, larger than 1 MiB) is a {@link ConfigException}.
     */
    static Config load(Path file) throws ConfigException {
        String source = file.toString();
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.exists(file)) {
            return Config.defaults();
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
            return Config.defaults(); // removed between the checks: same as missing
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
    static Config parse(String text, String sourceName) throws ConfigException {
        Objects.requireNonNull(text, "text");
        String source = sourceName == null || sourceName.isEmpty() ? "gpupassd.conf" : sourceName;
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        ConfigBuilder b = new ConfigBuilder();
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
            ConfigKeys.checkKnown(key, source, lineNo);
            Integer first = seen.putIfAbsent(key, lineNo);
            if (first != null) {
                throw new ConfigException(source, lineNo,
                        key + ": set twice (first on line " + first + "); keep one");
            }
            b.set(key, value, source, lineNo);
        }
        return b.build();
    }
}
