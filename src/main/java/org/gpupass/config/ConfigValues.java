package org.gpupass.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gpupass.model.Names;
import org.gpupass.model.PciAddress;
import org.gpupass.model.Printable;

/** One value of the configuration being parsed, with what an error message about it needs. */
record ConfigValues(String key, String value, String source, int line) {
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    private static final Duration MAX_DURATION = Duration.ofHours(1);
    private static final Duration MIN_REFRESH = Duration.ofMillis(100);
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)");
    private static final Pattern IDS = Pattern.compile("([0-9a-fA-F]{4}):([0-9a-fA-F]{4}|\\*)");

    ConfigException bad(String expected) {
        return new ConfigException(source, line, key + ": " + expected + ", got '" + Printable.clip(value) + "'");
    }

    private ConfigException listedTwice(String word) {
        return new ConfigException(source, line, key + ": '" + Printable.clip(word) + "' is listed twice");
    }

    List<String> words() {
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    boolean bool() throws ConfigException {
        return switch (value) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw bad("expected true or false (also yes/no, on/off, 1/0)");
        };
    }

    Config.DisplayManagerPolicy policy() throws ConfigException {
        for (Config.DisplayManagerPolicy p : Config.DisplayManagerPolicy.values()) {
            if (p.word().equals(value)) {
                return p;
            }
        }
        throw bad("expected never or when-holding");
    }

    private Duration duration() throws ConfigException {
        Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
            throw bad("expected a duration like 10s, 500ms or 2m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    Duration timeout() throws ConfigException {
        Duration d = value.equals("0") ? Duration.ZERO : duration();
        if (d.compareTo(MIN_TIMEOUT) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw bad("must be from 1ms to 60m (one hour)");
        }
        return d;
    }

    Duration interval() throws ConfigException {
        Duration d = value.equals("0") ? Duration.ZERO : duration();
        if (!d.isZero() && (d.compareTo(MIN_REFRESH) < 0 || d.compareTo(MAX_DURATION) > 0)) {
            throw bad("must be 0 (never) or from 100ms to 60m (one hour)");
        }
        return d;
    }

    GpuSelection manage() throws ConfigException {
        List<String> words = words();
        if (words.isEmpty()) {
            throw bad("expected 'all' or PCI addresses (0000:01:00.0, 01:00.0) and vendor:device ids"
                    + " (10de:2705, 10de:*) separated by spaces");
        }
        if (words.size() == 1 && words.get(0).equals("all")) {
            return GpuSelection.ALL;
        }
        LinkedHashSet<GpuSelection.Entry> out = new LinkedHashSet<>();
        for (String w : words) {
            if (!out.add(entry(w))) {
                throw listedTwice(w);
            }
        }
        return new GpuSelection(new ArrayList<>(out));
    }

    private GpuSelection.Entry entry(String w) throws ConfigException {
        PciAddress a = PciAddress.tryParse(w);
        if (a != null) {
            return new GpuSelection.Entry(a, 0, 0);
        }
        Matcher m = IDS.matcher(w);
        if (m.matches()) {
            int device = m.group(2).equals("*") ? -1 : Integer.parseInt(m.group(2), 16);
            return new GpuSelection.Entry(null, Integer.parseInt(m.group(1), 16), device);
        }
        if (w.equals("all")) {
            throw new ConfigException(source, line, key + ": 'all' cannot be combined with other entries, got '"
                    + Printable.clip(value) + "'");
        }
        throw new ConfigException(source, line, key + ": '" + Printable.clip(w) + "' is neither a PCI address"
                + " (0000:01:00.0, 01:00.0) nor a vendor:device id (10de:2705, 10de:*)");
    }

    String service() throws ConfigException {
        List<String> words = words();
        if (words.size() != 1) {
            throw bad("expected one systemd unit name such as display-manager.service");
        }
        return checkUnit(words.get(0), true);
    }

    List<String> units() throws ConfigException {
        List<String> out = new ArrayList<>();
        for (String w : words()) {
            String u = checkUnit(w, false);
            if (out.contains(u)) {
                throw listedTwice(w);
            }
            out.add(u);
        }
        return out;
    }

    private String checkUnit(String name, boolean serviceOnly) throws ConfigException {
        if (serviceOnly ? Names.service(name) : Names.unit(name)) {
            return name;
        }
        int dot = name.lastIndexOf('.');
        String prefix = dot < 0 ? name : name.substring(0, dot);
        String hint = "";
        if (dot < 0 && Names.module(name)) {
            hint = " (did you mean '" + name + ".service'?)";
        }
        if (prefix.endsWith("@")) {
            hint = " (a template needs an instance, e.g. name@instance.service)";
        }
        throw new ConfigException(source, line, key + ": '" + Printable.clip(name) + "' is not a systemd "
                + (serviceOnly ? "service" : "unit") + " name such as "
                + (serviceOnly ? "sddm.service" : "nvidia-persistenced.service") + hint);
    }

    List<String> modules() throws ConfigException {
        List<String> words = words();
        if (words.isEmpty()) {
            throw bad("expected one or more kernel module names in unload order, such as nvidia_drm nvidia");
        }
        List<String> out = new ArrayList<>();
        for (String w : words) {
            if (!Names.module(w)) {
                throw new ConfigException(source, line, key + ": '" + Printable.clip(w)
                        + "' is not a kernel module name (letters, digits, _ and -)");
            }
            String m = Names.kernelModuleName(w); // as /proc/modules shows it
            if (out.contains(m)) {
                throw listedTwice(w);
            }
            out.add(m);
        }
        return out;
    }
}
