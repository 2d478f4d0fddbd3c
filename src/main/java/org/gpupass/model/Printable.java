package org.gpupass.model;

/** Makes caller-supplied text safe to echo in messages and logs. */
public final class Printable {
    private Printable() {
    }

    /** At most 64 characters, control characters shown as '?'. */
    public static String clip(String text) {
        if (text == null) {
            return "(null)";
        }
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(64).forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        if (text.codePointCount(0, text.length()) > 64) {
            out.append('…');
        }
        return out.toString();
    }
}
