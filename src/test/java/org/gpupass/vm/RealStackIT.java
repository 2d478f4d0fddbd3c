package org.gpupass.vm;

import java.util.List;
import java.util.stream.Stream;
import org.gpupass.vm.GuestSuite.Boot;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Tier 4, the real stack: systemd as PID 1 in a qemu guest (TCG) on an overlay of the host's root,
 * the project installed there with {@code make install PREFIX=/usr}, the shipped gpupassd.service,
 * libvirt from the distribution with the shipped hook, polkitd with the shipped action and
 * example rule, test users, and Xorg as display-manager.service. Each topology boots once; its
 * scenarios (src/test/vm/stack/r*.sh) run in that boot and assert from outside the daemon. See
 * docs/real-stack-tests.md.
 *
 * <p>Needs what {@link RealKernelIT} needs plus libvirt, polkitd and Xorg (src/test/vm/stack/check-prereqs.sh).
 * Without them the tier is skipped with a plain message, unless {@code gpupass.vm.required=true} (CI).
 */
class RealStackIT {

    private static final List<Boot> BOOTS = List.of(
            new Boot("stack-dual", "dual", 3000, true, List.of("stack-setup", "r1-start", "r2-libvirt-vm",
                    "r3-refusals", "r4-inuse-vm", "r5-crashes", "r7-polkit", "r8-stop-restart", "r6-display-server",
                    "bench-baselines", "bench-stack")),
            new Boot("stack-shared", "shared", 900, true, List.of("stack-setup", "r3-unsafe-group")));

    @TestFactory
    Stream<DynamicNode> realStack() throws Exception {
        String missing = GuestSuite.missingPrerequisites("check-prereqs.sh", "stack/check-prereqs.sh");
        if (!missing.isEmpty()) {
            return GuestSuite.unavailable("real-stack tier", missing);
        }
        // The benchmark at CI size (src/test/vm/stack/bench-stack.sh has the full counts, which
        // bench/stack-bench.sh uses): fewer cycles and one VM start per variant.
        List<String> benchCounts = Boolean.getBoolean("gpupass.stack.fullBench") ? List.of()
                : List.of("BENCH_N=10", "BENCH_TRACE=3", "BENCH_VM_N=1", "BENCH_NODEDEV_N=3");
        return GuestSuite.selected(BOOTS).map(b -> GuestSuite.bootNode(b, benchCounts, run -> b.name().equals("stack-dual")
                ? List.of(GuestSuite.benchmark(run, "stack-bench.txt", "real-stack benchmark (systemd guest under TCG)"))
                : List.of()));
    }
}
