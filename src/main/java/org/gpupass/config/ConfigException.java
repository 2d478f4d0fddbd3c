package org.gpupass.config;

/**
 * The configuration file cannot be used. The message names the file and, when the problem is on
 * one line, the line and key: {@code gpupassd.conf:12: write_timeout: expected a duration like 10s, 500ms or 2m, got 'x'}.
 */
public final class ConfigException extends Exception {
    private final String source;
    private final int line;

    public ConfigException(String source, int line, String message) {
        super(line > 0 ? source + ":" + line + ": " + message : source + ": " + message);
        this.source = source;
        this.line = line;
    }

    public ConfigException(String source, String message, Throwable cause) {
        super(source + ": " + message, cause);
        this.source = source;
        this.line = 0;
    }

    /** The file (or other source name) the problem is in. */
    public String source() {
        return source;
    }

    /** 1-based line number, 0 when the problem is not on one line. */
    public int line() {
        return line;
    }
}
