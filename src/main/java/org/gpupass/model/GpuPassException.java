package org.gpupass.model;

/** A refusal or failure with one of the spec's error names and a message a person can act on. */
public final class GpuPassException extends Exception {
    private final ErrorKind kind;

    public GpuPassException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public GpuPassException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public ErrorKind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return kind.shortName() + ": " + getMessage();
    }
}
