package org.gpupass.host.sim;

import java.util.Locale;

/**
 * One entry of a driver's ID table: {@code VVVV:DDDD[@CLASS]}, {@code *} for any vendor or device, CLASS a
 * prefix of the 24-bit class in hex ({@code 03} = any display controller, {@code 0403} = HD Audio).
 */
record IdMatch(int vendor, int device, int classValue, int classMask, String text) {
    static final int ANY = -1;

    static IdMatch parse(String text) {
        String ids = text;
        int classValue = 0;
        int classMask = 0;
        int at = text.indexOf('@');
        if (at >= 0) {
            String cls = text.substring(at + 1);
            if (cls.isEmpty() || cls.length() > 6 || cls.length() % 2 != 0 || !cls.matches("[0-9a-fA-F]+")) {
                throw new IllegalArgumentException("bad class prefix in '" + text + "' (expected 2, 4 or 6 hex digits)");
            }
            int shift = 24 - 4 * cls.length();
            classValue = Integer.parseInt(cls, 16) << shift;
            classMask = (0xffffff >>> shift) << shift;
            ids = text.substring(0, at);
        }
        String[] parts = ids.split(":", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("bad ID match '" + text + "' (expected VVVV:DDDD[@CLASS], * as a wildcard)");
        }
        return new IdMatch(hexOrAny(parts[0], text), hexOrAny(parts[1], text), classValue, classMask, text);
    }

    private static int hexOrAny(String part, String whole) {
        if (part.equals("*")) {
            return ANY;
        }
        if (!part.matches("[0-9a-fA-F]{4}")) {
            throw new IllegalArgumentException("bad ID '" + part + "' in '" + whole + "' (expected 4 hex digits or *)");
        }
        return Integer.parseInt(part.toLowerCase(Locale.ROOT), 16);
    }

    boolean matches(int vendorId, int deviceId, int classCode) {
        return (vendor == ANY || vendor == vendorId) && (device == ANY || device == deviceId)
                && (classCode & classMask) == classValue;
    }
}
