package org.gpupass.model;

/**
 * The rule for a holder (docs/dbus-api.md): 1 to 128 printable characters, no control characters,
 * and at least one visible character, so that the status table and the logs never show a GPU held
 * by nobody in particular.
 */
public final class Holders {
    public static final int MAX_LENGTH = 128;

    /**
     * Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt, Unicode 15.1), as
     * [first, last] ranges: characters that render as nothing, among them the Hangul fillers
     * U+115F, U+1160, U+3164 and U+FFA0, variation selectors and the tag characters.
     */
    private static final int[][] DEFAULT_IGNORABLE = {
            {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
            {0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F}, {0x3164, 0x3164},
            {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
            {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF}};
    /** BRAILLE PATTERN BLANK: a defined symbol with no dots, shown as a space. */
    private static final int BRAILLE_BLANK = 0x2800;

    private Holders() {
    }

    /** Whether a caller may name this holder in Claim, Release, ClaimDomain or ReleaseDomain. */
    public static boolean valid(String holder) {
        return wellFormed(holder) && holder.codePoints().anyMatch(Holders::visible);
    }

    /**
     * The length and printable-characters part of the rule alone: what a claim record written by an
     * earlier version may hold (those did not ask for a visible character), so that such a claim
     * still loads after an upgrade.
     */
    public static boolean wellFormed(String holder) {
        if (holder == null || holder.isEmpty() || holder.codePointCount(0, holder.length()) > MAX_LENGTH) {
            return false;
        }
        return holder.codePoints().allMatch(Holders::printable);
    }

    private static boolean printable(int cp) {
        if (Character.isISOControl(cp) || !Character.isDefined(cp)) {
            return false;
        }
        int type = Character.getType(cp);
        // Format characters (e.g. bidi overrides), separators other than space, and lone surrogates
        // would make the holder print differently from what it is.
        return type != Character.FORMAT && type != Character.SURROGATE && type != Character.PRIVATE_USE
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
    }

    /**
     * A character that leaves a mark on its own: not Unicode White_Space (every space separator
     * such as U+00A0, U+2003, U+3000), not Default_Ignorable, not the braille blank, and not a
     * combining mark (Mn, Me), which only shows on a character before it.
     */
    static boolean visible(int cp) {
        if (Character.isSpaceChar(cp) || Character.isWhitespace(cp) || cp == BRAILLE_BLANK) {
            return false;
        }
        for (int[] range : DEFAULT_IGNORABLE) {
            if (cp >= range[0] && cp <= range[1]) {
                return false;
            }
        }
        int type = Character.getType(cp);
        return type != Character.NON_SPACING_MARK && type != Character.ENCLOSING_MARK;
    }

    /** Throws {@code InvalidArgument} unless valid. */
    public static String require(String holder) throws GpuPassException {
        if (!wellFormed(holder)) {
            throw new GpuPassException(ErrorKind.INVALID_ARGUMENT, "holder must be 1 to " + MAX_LENGTH
                    + " printable characters without control characters, got '" + Printable.clip(holder) + "'");
        }
        if (!valid(holder)) {
            throw new GpuPassException(ErrorKind.INVALID_ARGUMENT, "holder " + codePoints(holder)
                    + " has no visible character (only blanks, fillers or marks); name the holder, e.g. a"
                    + " libvirt domain");
        }
        return holder;
    }

    /** {@code U+3164 U+0020}: how an invisible holder is shown, since printing it shows nothing. */
    private static String codePoints(String holder) {
        StringBuilder out = new StringBuilder();
        holder.codePoints().limit(16).forEach(cp -> out.append(out.length() == 0 ? "" : " ")
                .append(String.format("U+%04X", cp)));
        if (holder.codePointCount(0, holder.length()) > 16) {
            out.append(" …");
        }
        return out.toString();
    }
}
