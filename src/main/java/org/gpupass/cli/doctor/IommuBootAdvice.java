package org.gpupass.cli.doctor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What to do when the IOMMU is off: the kernel parameters for this CPU's vendor and the command
 * that puts them on this system's kernel command line, chosen from {@code /etc/os-release}. Pure:
 * {@link SystemChecks} reads the files.
 */
final class IommuBootAdvice {
    /** Image-based Fedora desktops: the kernel command line is changed with rpm-ostree. */
    private static final List<String> OSTREE_VARIANTS = List.of("kinoite", "silverblue", "sericea", "onyx",
            "cosmic-atomic", "iot");
    private static final Pattern GRUB_DEFAULT = Pattern.compile(
            "(?m)^\\s*GRUB_CMDLINE_LINUX_DEFAULT=(\"([^\"]*)\"|'([^']*)'|(\\S*))\\s*$");

    private IommuBootAdvice() {
    }

    /** {@code intel_iommu=on iommu=pt}, {@code amd_iommu=on iommu=pt}; null vendor: both spelled as alternatives. */
    static List<String> parameters(String cpuVendor) {
        return List.of("amd".equals(cpuVendor) ? "amd_iommu=on" : "intel_iommu=on", "iommu=pt");
    }

    /**
     * @param cpuVendor    {@code intel}, {@code amd} or null when /proc/cpuinfo does not say
     * @param osRelease    the text of /etc/os-release ("" when unreadable)
     * @param grubDefaults the text of /etc/default/grub ("" when absent)
     * @param ostreeBooted whether /run/ostree-booted exists
     */
    static String advice(String cpuVendor, String osRelease, String grubDefaults, boolean ostreeBooted) {
        List<String> params = parameters(cpuVendor);
        String joined = String.join(" ", params);
        String vendorNote = cpuVendor == null ? " (on an AMD CPU: amd_iommu=on iommu=pt)" : "";
        Map<String, String> os = osRelease(osRelease);
        String name = os.getOrDefault("PRETTY_NAME", os.getOrDefault("NAME", "this system"));
        String how = command(os, params, grubDefaults, ostreeBooted);
        String firmware = cpuVendor == null ? "VT-d (Intel) or AMD-Vi (AMD)"
                : cpuVendor.equals("amd") ? "AMD-Vi (IOMMU)" : "VT-d";
        return "add " + joined + vendorNote + " to the kernel command line; on " + name + ": " + how
                + "; enable " + firmware + " in the firmware setup; then reboot";
    }

    private static String command(Map<String, String> os, List<String> params, String grubDefaults,
                                  boolean ostreeBooted) {
        String id = os.getOrDefault("ID", "");
        String like = " " + os.getOrDefault("ID_LIKE", "") + " ";
        String variant = os.getOrDefault("VARIANT_ID", "");
        boolean fedoraLike = id.equals("fedora") || like.contains(" fedora ") || like.contains(" rhel ");
        if (ostreeBooted || (fedoraLike && OSTREE_VARIANTS.contains(variant))) {
            StringBuilder s = new StringBuilder("sudo rpm-ostree kargs");
            params.forEach(p -> s.append(" --append=").append(p));
            return s.toString();
        }
        if (fedoraLike) {
            return "sudo grubby --update-kernel=ALL --args='" + String.join(" ", params) + "'";
        }
        if (id.equals("debian") || id.equals("ubuntu") || like.contains(" debian ") || like.contains(" ubuntu ")) {
            return "set " + grubLine(grubDefaults, params) + " in /etc/default/grub, then run sudo update-grub";
        }
        return "add them where your boot loader keeps the kernel command line (GRUB: GRUB_CMDLINE_LINUX_DEFAULT in "
                + "/etc/default/grub and regenerate its configuration; systemd-boot: the options line of the entry, "
                + "or /etc/kernel/cmdline)";
    }

    /** The GRUB_CMDLINE_LINUX_DEFAULT line as it should read: today's value with the parameters it lacks added. */
    static String grubLine(String grubDefaults, List<String> params) {
        Matcher m = GRUB_DEFAULT.matcher(grubDefaults);
        String current = "";
        if (m.find()) {
            current = m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
        }
        StringBuilder value = new StringBuilder(current.strip());
        for (String p : params) {
            if (!List.of(current.split("\\s+")).contains(p)) {
                value.append(value.length() == 0 ? "" : " ").append(p);
            }
        }
        return "GRUB_CMDLINE_LINUX_DEFAULT=\"" + Check.oneLine(value.toString()) + "\"";
    }

    /** KEY=value lines of os-release(5), quotes removed; comments and malformed lines skipped. */
    static Map<String, String> osRelease(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq <= 0) {
                continue;
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(line.substring(0, eq).strip(), Check.oneLine(value));
        }
        return out;
    }
}
