package org.gpupass.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.gpupass.libvirt.DomainXml;

/**
 * The domain XML of {@code gpupassctl claim-domain}, from stdin: read bounded (the daemon refuses more
 * than {@link DomainXml#MAX_BYTES} anyway, so more is never sent) and decoded strictly as UTF-8
 * (libvirt writes UTF-8; a D-Bus string must be valid UTF-8), with the daemon's InvalidArgument exit code.
 */
final class DomainXmlInput {
    /** Refused before it reaches the bus. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private DomainXmlInput() {
    }

    static String read(InputStream in) throws Refused {
        byte[] bytes;
        try {
            bytes = in.readNBytes(DomainXml.MAX_BYTES + 1);
        } catch (IOException e) {
            throw new Refused("cannot read the domain XML on stdin: " + e.getMessage());
        }
        if (bytes.length > DomainXml.MAX_BYTES) {
            throw new Refused("the domain XML on stdin is larger than 1 MiB (" + DomainXml.MAX_BYTES
                    + " bytes), more than gpupassd takes");
        }
        if (bytes.length == 0) {
            throw new Refused("no domain XML on stdin (e.g. virsh dumpxml DOMAIN | gpupassctl claim-domain DOMAIN)");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Refused("the domain XML on stdin is not UTF-8");
        }
    }
}
