package org.gpupass.core;

/** The spec's rule for a holder: 1 to 128 printable characters, no control characters. */
public final class Holders {
    public static final int MAX_LENGTH = 128;

    private Holders() {
    }

    public static boolean valid(String holder) {
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

    /** Throws {@code InvalidArgument} unless valid. */
    public static String require(String holder) throws GpuPassException {
        if (!valid(holder)) {
            throw new GpuPassException(ErrorKind.INVALID_ARGUMENT, "holder must be 1 to " + MAX_LENGTH
                    + " printable characters without control characters, got '" + Printable.clip(holder) + "'");
        }
        return holder;
    }
}
