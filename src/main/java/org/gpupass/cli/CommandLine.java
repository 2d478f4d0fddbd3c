package org.gpupass.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gpupass.model.Printable;

/**
 * How every gpupassctl command reads its words, in one place. A word before {@code --} that starts with
 * {@code -} (and is not {@code -} alone) is an option: {@code --name}, {@code --name=value} or {@code -h};
 * options may come anywhere before {@code --}, before or after the command and its operands. {@code --}
 * ends the options: every later word is an operand, so an operand that starts with {@code -} goes after it.
 * Every other word is an operand; the first one is the command.
 *
 * <p>Which words are options is decided by their spelling alone (values always follow {@code =}), so the
 * command is found before its rules apply. A command then declares the options it takes and its operands
 * ({@link Spec}); an option it does not take, a value where none belongs or none where one must be, an
 * option given twice or the wrong number of operands is a {@link UsageException} (exit 2).
 * {@code --help}/{@code -h} and {@code --version} are taken by every command, whatever its operands.
 */
public final class CommandLine {
    /** Whether an option takes {@code =value}. */
    public enum Value {
        NONE, REQUIRED, OPTIONAL
    }

    /** An option a command takes; {@code hint} names its value in messages ({@code --bus=ADDRESS}). */
    public record Option(String name, Value value, String hint) {
        public static Option flag(String name) {
            return new Option(name, Value.NONE, "");
        }

        public static Option valued(String name, String hint) {
            return new Option(name, Value.REQUIRED, hint);
        }

        public static Option optional(String name, String hint) {
            return new Option(name, Value.OPTIONAL, hint);
        }
    }

    /**
     * What a command takes: its options and its operands' names, optional ones in brackets
     * ({@code "DEVICE", "[HOLDER]"}); optional operands come last.
     */
    public record Spec(String command, List<Option> options, List<String> operands) {
        int required() {
            return (int) operands.stream().filter(o -> !o.startsWith("[")).count();
        }
    }

    /** A usage error: the command prints the message and its usage and exits 2. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    private static final Option HELP = Option.flag("--help");
    private static final Option SHORT_HELP = Option.flag("-h");
    private static final Option VERSION = Option.flag("--version");

    private final Map<String, String> options;
    private final List<String> operands;

    private CommandLine(Map<String, String> options, List<String> operands) {
        this.options = options;
        this.operands = operands;
    }

    /** Two lists of options as one. */
    public static List<Option> concat(List<Option> a, List<Option> b) {
        List<Option> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /** Whether a word is an option (before {@code --}). */
    static boolean isOption(String word) {
        return word.startsWith("-") && word.length() > 1;
    }

    /** The index of the first operand (the command), or -1 when there is none. */
    static int firstOperand(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("--")) {
                return i + 1 < words.size() ? i + 1 : -1;
            }
            if (!isOption(w)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Reads {@code words} (the command itself left out) by {@code spec}. With {@code --help} or {@code -h}
     * nothing else is checked: the caller prints the usage.
     */
    public static CommandLine parse(List<String> words, Spec spec) throws UsageException {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> operands = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        boolean ended = false;
        for (String word : words) {
            if (word == null) {
                throw new UsageException("null argument");
            }
            if (ended || !isOption(word)) {
                operands.add(word);
            } else if (word.equals("--")) {
                ended = true;
            } else {
                int eq = word.indexOf('=');
                String name = eq < 0 ? word : word.substring(0, eq);
                if (name.equals(HELP.name()) || name.equals(SHORT_HELP.name())) {
                    check(HELP, eq < 0 ? null : word.substring(eq + 1));
                    return new CommandLine(Map.of(HELP.name(), ""), List.of());
                }
                if (options.containsKey(name)) {
                    throw new UsageException(name + " given more than once");
                }
                options.put(name, eq < 0 ? null : word.substring(eq + 1));
                if (!name.equals(VERSION.name()) && find(spec, name).isEmpty()) {
                    unknown.add(word);
                }
            }
        }
        if (!unknown.isEmpty()) {
            throw new UsageException(unknownOption(spec, unknown.get(0)));
        }
        for (Map.Entry<String, String> given : options.entrySet()) {
            Option option = given.getKey().equals(VERSION.name()) ? VERSION : find(spec, given.getKey()).orElseThrow();
            check(option, given.getValue());
        }
        if (options.containsKey(VERSION.name())) {
            return new CommandLine(options, List.of());
        }
        int max = spec.operands().size();
        if (operands.size() < spec.required() || operands.size() > max) {
            String takes = max == 0 ? "takes no operands" : "takes " + String.join(" ", spec.operands());
            throw new UsageException((spec.command().isEmpty() ? "gpupassctl" : spec.command()) + " " + takes
                    + " (got " + (operands.isEmpty() ? "none" : operands.size() + ": " + quoted(operands)) + ")");
        }
        return new CommandLine(options, List.copyOf(operands));
    }

    /** Names what the command takes and, where it has operands, how to pass one that starts with '-'. */
    private static String unknownOption(Spec spec, String word) {
        String who = spec.command().isEmpty() ? "gpupassctl" : spec.command();
        List<String> names = new ArrayList<>();
        spec.options().forEach(o -> names.add(o.name()));
        StringBuilder m = new StringBuilder("unknown option: ").append(org.gpupass.model.Printable.clip(word))
                .append(" (").append(who).append(names.isEmpty() ? " takes no options but --help"
                        : " takes " + String.join(", ", names));
        if (!spec.operands().isEmpty()) {
            m.append("; an operand that starts with '-' goes after '--': ").append(who).append(" -- ")
                    .append(String.join(" ", spec.operands()));
        }
        return m.append(')').toString();
    }

    private static Optional<Option> find(Spec spec, String name) {
        return spec.options().stream().filter(o -> o.name().equals(name)).findFirst();
    }

    private static void check(Option option, String value) throws UsageException {
        String name = option.name();
        switch (option.value()) {
            case NONE -> {
                if (value != null) {
                    throw new UsageException(name + " takes no value (got " + name + "=" + value + ")");
                }
            }
            case REQUIRED -> {
                if (value == null || value.isEmpty()) {
                    throw new UsageException(name + " needs a value: " + name + "=" + option.hint());
                }
            }
            case OPTIONAL -> {
                if (value != null && value.isEmpty()) {
                    throw new UsageException(name + "= needs a value: " + name + " or " + name + "=" + option.hint());
                }
            }
        }
    }

    private static String quoted(List<String> words) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            out.add("'" + org.gpupass.model.Printable.clip(w) + "'");
        }
        return String.join(" ", out);
    }

    /**
     * Answers {@code --help} with {@code usage} and {@code --version} with gpupassctl's version line, on
     * {@code out}; whether it did (the command then ends there, exit 0).
     */
    public boolean answeredHelpOrVersion(String usage, PrintStream out) {
        if (!help() && !version()) {
            return false;
        }
        out.print(help() ? usage : Gpupassctl.versionLine());
        return true;
    }

    public boolean help() {
        return options.containsKey(HELP.name());
    }

    public boolean version() {
        return options.containsKey(VERSION.name());
    }

    /** Whether the option was given. */
    public boolean has(String name) {
        return options.containsKey(name);
    }

    /** The option's value; empty when not given or given without {@code =value}. */
    public Optional<String> value(String name) {
        return Optional.ofNullable(options.get(name));
    }

    public List<String> operands() {
        return operands;
    }

    public String operand(int index) {
        return operands.get(index);
    }
}
