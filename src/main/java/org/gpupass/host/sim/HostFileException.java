package org.gpupass.host.sim;

/** A simulated-host description that cannot be used: names the source and, where there is one, the line. */
public final class HostFileException extends Exception {
    private final String source;
    private final int line;

    /** An error on one line of a host file; {@code line} is 1-based, 0 when no line is concerned. */
    public HostFileException(String source, int line, String message) {
        super(line > 0 ? source + ":" + line + ": " + message : source + ": " + message);
        this.source = source;
        this.line = line;
    }

    /** The file name, built-in host name or other label the text came from. */
    public String source() {
        return source;
    }

    /** The 1-based line number, 0 when the error is not about one line. */
    public int line() {
        return line;
    }
}
