package org.gpupass.cli;

import java.io.PrintStream;
import java.util.List;
import org.gpupass.cli.doctor.HostOptions;
import org.gpupass.cli.doctor.HumanReport;
import org.gpupass.cli.doctor.Survey;
import org.gpupass.host.Host;

/**
 * {@code gpupassctl doctor}: the passthrough prerequisite survey, offline (no daemon, no D-Bus, no
 * root needed, never writes). See docs/doctor.md for the checks and the JSON schema.
 */
public final class Doctor {
    static final String USAGE = """
            Usage: gpupassctl doctor [--json] [--sysfs-root=DIR] [--simulate[=NAME|FILE]] [--config=FILE]
              Checks what GPU passthrough needs on this host: CPU virtualization, IOMMU, vfio-pci, each GPU's
              IOMMU group and whether gpupassd could claim it, the boot display, Secure Boot, the libvirt hook,
              the domains' GPU hostdevs (managed='yes' hangs), OVMF. Reads only; root sees more.
              --json                  machine-readable output (schema in docs/doctor.md)
              --sysfs-root=DIR        read sysfs, /proc, /etc and /usr/share under DIR (default /)
              --simulate[=NAME|FILE]  PCI devices from a simulated host (dual-gpu, single-gpu, shared-group,
                                      or a host file); the other checks still read under --sysfs-root
              --config=FILE           gpupassd's configuration (default /etc/gpupassd/gpupassd.conf under the root)
            Exit codes: 0 nothing blocks passthrough of at least one GPU, 1 something blocks (a check failed),
              2 usage
            """;

    static final CommandLine.Spec SPEC = new CommandLine.Spec("doctor",
            CommandLine.concat(List.of(CommandLine.Option.flag("--json")), HostOptions.OPTIONS), List.of());
    private static final OfflineCommand COMMAND = new OfflineCommand(SPEC, USAGE);

    private Doctor() {
    }

    /** Runs {@code gpupassctl doctor ARGS} (the words after "doctor"); returns the exit code. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return COMMAND.run(args, out, err, line -> run(line, out));
    }

    private static int run(CommandLine line, PrintStream out) throws CommandLine.UsageException {
        boolean json = line.has("--json");
        HostOptions options = HostOptions.of(line);
        Host host = options.host();
        Survey survey = Survey.run(options, host);
        if (json) {
            out.println(Json.of(survey.toJson()));
        } else {
            out.print(HumanReport.render(survey, options.describe()));
        }
        out.flush();
        return survey.ok() ? 0 : 1;
    }
}
