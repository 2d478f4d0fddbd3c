package org.gpupass.bus.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The protocol lets later versions add header fields of any type. One whose type is a variant used to
 * make the reader throw, which disconnected the daemon; it is passed over now, as containers were.
 */
class HeaderFieldsTest {
    /** A method call's fixed part and its fields: PATH "/", then field 0x20 of type v holding "x". */
    private static byte[][] callWithAVariantField() {
        ByteBuffer f = ByteBuffer.allocate(8 + 32).order(ByteOrder.LITTLE_ENDIAN);
        f.position(8); // HeaderFields.of(fields, 8): index 8 is message offset 16
        f.put((byte) 1).put((byte) 1).put((byte) 'o').put((byte) 0).putInt(1).put((byte) '/').put((byte) 0);
        f.position(8 + 16); // the next field is 8-aligned: message offset 32
        f.put((byte) 0x20).put((byte) 1).put((byte) 'v').put((byte) 0);
        f.put((byte) 1).put((byte) 's').put((byte) 0).put((byte) 0).putInt(1).put((byte) 'x').put((byte) 0);
        int fieldsLength = 30;
        ByteBuffer p = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        p.put((byte) 'l').put((byte) 1).put((byte) 0).put((byte) 1).putInt(0).putInt(7).putInt(fieldsLength);
        return new byte[][] {p.array(), f.array()};
    }

    @Test
    void aFieldOfAVariantTypeIsPassedOverAndTheFieldsBeforeItAreKept() throws Exception {
        byte[][] message = callWithAVariantField();
        HeaderFields header = HeaderFields.prefix(message[0]);
        assertEquals(48, header.headerLength());
        header.readFields(HeaderFields.of(message[1], 8), Integer.MAX_VALUE);
        assertEquals("/", header.path);
        assertFalse(header.complete);
        assertEquals("x", new String(message[1], 8 + 28, 1, StandardCharsets.US_ASCII), "the variant's string is where it should be");
    }
}
