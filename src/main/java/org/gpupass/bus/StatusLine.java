package org.gpupass.bus;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.gpupass.core.GpuStatus;

/**
 * The one-line summary for systemd's {@code STATUS=}, e.g.
 * {@code 01:00.0 RTX 4070 Ti SUPER: vfio (win11) · 00:02.0 UHD 770: host}.
 */
public final class StatusLine {
    private static final Pattern BRACKETS = Pattern.compile("\\[([^\\]]+)\\]\\s*$");
    private static final Pattern VENDOR_WORDS = Pattern.compile(
            "\\b(NVIDIA|Intel|Corporation|Corp\\.|AMD|ATI|Advanced Micro Devices,?|Inc\\.|GeForce|Graphics)\\s*",
            Pattern.CASE_INSENSITIVE);

    private StatusLine() {
    }

    public static String of(List<GpuStatus> gpus) {
        if (gpus.isEmpty()) {
            return "no GPU found";
        }
        return gpus.stream().map(StatusLine::one).collect(Collectors.joining(" · "));
    }

    static String one(GpuStatus gpu) {
        String holder = gpu.holder().isEmpty() ? "" : " (" + gpu.holder() + ")";
        return gpu.address().shortForm() + " " + shortName(gpu.name()) + ": " + gpu.state().word() + holder;
    }

    /** {@code NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]} → {@code RTX 4070 Ti SUPER}. */
    static String shortName(String name) {
        if (name == null || name.isBlank()) {
            return "GPU";
        }
        String text = name.trim();
        Matcher m = BRACKETS.matcher(text);
        if (m.find()) {
            text = m.group(1);
        }
        String stripped = VENDOR_WORDS.matcher(text).replaceAll("").replaceAll("\\s+", " ").trim();
        return stripped.isEmpty() ? text : stripped;
    }
}
