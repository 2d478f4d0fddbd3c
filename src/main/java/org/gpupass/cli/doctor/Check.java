package org.gpupass.cli.doctor;

import java.util.Objects;

/**
 * One line of the survey.
 *
 * @param name     stable identifier, e.g. {@code iommu}
 * @param verdict  ok, info, warn or fail
 * @param evidence what was found, one line
 * @param advice   what to do, one line; {@code ""} when there is nothing to do
 */
public record Check(String name, Verdict verdict, String evidence, String advice) {
    public Check {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(verdict, "verdict");
        evidence = oneLine(evidence);
        advice = oneLine(advice);
    }

    public static Check ok(String name, String evidence) {
        return new Check(name, Verdict.OK, evidence, "");
    }

    public static Check info(String name, String evidence) {
        return new Check(name, Verdict.INFO, evidence, "");
    }

    public static Check warn(String name, String evidence, String advice) {
        return new Check(name, Verdict.WARN, evidence, advice);
    }

    public static Check fail(String name, String evidence, String advice) {
        return new Check(name, Verdict.FAIL, evidence, advice);
    }

    /** Newlines and other control characters become blanks: every field stays one line. */
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        return out.toString().strip();
    }
}
