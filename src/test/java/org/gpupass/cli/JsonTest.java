package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void escapesQuotesBackslashesControlsAndLoneSurrogates() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\nd\te\u0001f\u007f\u2028 é 😀 \ud800x");
        m.put("n", 3);
        m.put("b", false);
        m.put("z", null);
        m.put("l", Arrays.asList("x", 1, true));
        assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\\u2028 é 😀 \\ud800x\",\"n\":3,\"b\":false,"
                + "\"z\":null,\"l\":[\"x\",1,true]}", Json.of(m));
        assertEquals("[]", Json.of(List.of()));
    }
}
