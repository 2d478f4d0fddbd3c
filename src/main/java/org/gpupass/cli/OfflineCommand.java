package org.gpupass.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * How the commands that read the host themselves, without the daemon ({@code doctor}, {@code hostdev-xml}),
 * take their words: {@code --help} and {@code --version} are answered on stdout (exit 0); a usage error, in
 * the words or found later by the command (a {@code --simulate} host that is not there), is said on stderr
 * with the usage (exit 2).
 */
record OfflineCommand(CommandLine.Spec spec, String usage) {
    /** What the command does with its words once read; returns the exit code. */
    @FunctionalInterface
    interface Body {
        int run(CommandLine line) throws CommandLine.UsageException;
    }

    /** Runs {@code gpupassctl COMMAND ARGS} (the words after the command); returns the exit code. */
    int run(List<String> args, PrintStream out, PrintStream err, Body body) {
        try {
            CommandLine line = CommandLine.parse(args, spec);
            if (line.answeredHelpOrVersion(usage, out)) {
                return 0;
            }
            return body.run(line);
        } catch (CommandLine.UsageException e) {
            err.println("gpupassctl " + spec.command() + ": " + e.getMessage());
            err.print(usage);
            return 2;
        }
    }
}
