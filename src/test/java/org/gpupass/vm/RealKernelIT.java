package org.gpupass.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.gpupass.vm.GuestSuite.Boot;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Tier 3: the real daemon on a real Linux kernel. Boots each test topology once in a qemu guest
 * (TCG, q35 + emulated Intel IOMMU, the host's root over 9p; see docs/real-kernel-tests.md) and runs
 * its scenarios there, the daemon started by hand on a private bus; every scenario is its own test
 * result (see {@link GuestSuite}).
 *
 * <p>Needs qemu-system-x86_64, an installed kernel with its modules, and busybox-static, as root.
 * Without them the suite is skipped with a plain message, unless {@code gpupass.vm.required=true}
 * (CI), where a missing prerequisite or a skipped scenario fails.
 */
class RealKernelIT {

    private static final List<Boot> BOOTS = List.of(
            new Boot("dual", "dual", 2400, false, List.of("s1-status", "s2-claim-release", "s4-inuse", "s3-cycles",
                    "bench-baselines", "s6-kill-mid-transition", "s9-libvirt-hook", "s10-doctor")),
            new Boot("shared", "shared", 900, false, List.of("s7-shared-group", "s5-host-modules")),
            new Boot("noiommu", "noiommu", 600, false, List.of("s8-no-iommu", "s10-doctor")));

    @TestFactory
    Stream<DynamicNode> realKernel() throws Exception {
        String missing = GuestSuite.missingPrerequisites("check-prereqs.sh");
        if (!missing.isEmpty()) {
            return GuestSuite.unavailable("real-kernel suite", missing);
        }
        List<String> guestArgs = new ArrayList<>();
        String cds = makeCdsArchive();
        if (!cds.isEmpty()) {
            guestArgs.add("cds=" + cds);
        }
        return GuestSuite.selected(BOOTS).map(b -> GuestSuite.bootNode(b, guestArgs, run -> b.name().equals("dual")
                ? List.of(GuestSuite.benchmark(run, "bench.txt", "real-kernel benchmark (guest under TCG)")) : List.of()));
    }

    /** The AppCDS archive of the daemon made on the host ("" when none could be made). */
    private static String makeCdsArchive() throws IOException, InterruptedException {
        if (!Files.isRegularFile(GuestSuite.JAR)) {
            return "";
        }
        Process p = new ProcessBuilder("bash", GuestSuite.VM.resolve("make-cds.sh").toString(), GuestSuite.JAR.toString(),
                GuestSuite.BASE.resolve("target/vm-cache").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.waitFor() == 0 ? out : "";
    }
}
