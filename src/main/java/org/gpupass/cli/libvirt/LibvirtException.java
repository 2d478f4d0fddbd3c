package org.gpupass.cli.libvirt;

/** Talking to libvirt failed; {@link #kind()} says how, the message says it for people. */
public final class LibvirtException extends Exception {
    /** How it failed. */
    public enum Kind {
        /** no virsh on the PATH: libvirt's clients are not installed */
        VIRSH_MISSING,
        /** virsh ran but could not connect to the URI (no libvirtd/virtqemud, no permission) */
        UNREACHABLE,
        /** the connection has no domain of that name */
        NO_SUCH_DOMAIN,
        /** libvirt refused or failed a call; the message has virsh's words */
        FAILED,
        /** the domain XML virsh printed could not be read */
        BAD_XML
    }

    private final Kind kind;

    public LibvirtException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
