package org.gpupass.vm;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.TestAbortedException;

/**
 * Tier 3: the real daemon on a real Linux kernel. Boots each test topology once in a qemu guest
 * (TCG, q35 + emulated Intel IOMMU, the host's root over 9p; see docs/real-kernel-tests.md) and runs
 * its scenarios there; every scenario is its own test result, failing with its log, the daemon's
 * log and the guest's console.
 *
 * <p>Needs qemu-system-x86_64, an installed kernel with its modules, and busybox-static, as root.
 * Without them the suite is skipped with a plain message, unless {@code gpupass.vm.required=true}
 * (CI), where a missing prerequisite or a skipped scenario fails.
 */
class RealKernelIT {

    private static final Path BASE = Path.of(System.getProperty("gpupass.basedir", ".")).toAbsolutePath().normalize();
    private static final Path VM = BASE.resolve("src/test/vm");
    private static final Path JAR = Path.of(System.getProperty("gpupass.jar", BASE.resolve("target/gpupassd.jar").toString()))
            .toAbsolutePath().normalize();
    private static final boolean REQUIRED = Boolean.parseBoolean(System.getProperty("gpupass.vm.required", "false"));
    /** A scenario's time limit inside the guest. */
    private static final int SCENARIO_LIMIT_S = Integer.getInteger("gpupass.vm.scenarioLimit", 480);

    /** One guest boot: a topology and the scenarios run in it, in order. */
    private record Boot(String topology, int timeoutSeconds, List<String> scenarios) {
    }

    private static final List<Boot> BOOTS = List.of(
            new Boot("dual", 2400, List.of("s1-status", "s2-claim-release", "s4-inuse", "s3-cycles",
                    "bench-baselines", "s6-kill-mid-transition", "s9-libvirt-hook", "s10-doctor")),
            new Boot("shared", 900, List.of("s7-shared-group", "s5-host-modules")),
            new Boot("noiommu", 600, List.of("s8-no-iommu", "s10-doctor")));

    /** What one boot left behind. */
    private static final class Run {
        Path out;
        int exit = -1;
        String launcherOutput = "";
        final Map<String, String> verdicts = new LinkedHashMap<>(); // scenario -> "PASS" / "FAIL: why" / "SKIP: why"
        final List<String> figures = new ArrayList<>();
        boolean done;
    }

    @TestFactory
    Stream<DynamicNode> realKernel() throws Exception {
        String missing = missingPrerequisites();
        if (!missing.isEmpty()) {
            String msg = "real-kernel suite skipped: " + missing.strip().replace("\n", "; ");
            System.out.println(msg);
            if (REQUIRED) {
                return Stream.of(dynamicTest("prerequisites", () -> fail(msg + " (gpupass.vm.required=true)")));
            }
            Assumptions.abort(msg);
        }
        cds = makeCdsArchive();
        // -Dgpupass.vm.topologies=dual,shared runs only those guests (for working on one scenario).
        List<String> only = List.of(System.getProperty("gpupass.vm.topologies", "").split(",")).stream()
                .map(String::strip).filter(t -> !t.isEmpty()).toList();
        return BOOTS.stream().filter(b -> only.isEmpty() || only.contains(b.topology())).map(this::bootNode);
    }

    /** The AppCDS archive of the daemon made on the host ("" when none could be made). */
    private static String cds = "";

    private static String makeCdsArchive() throws IOException, InterruptedException {
        if (!Files.isRegularFile(JAR)) {
            return "";
        }
        Process p = new ProcessBuilder("bash", VM.resolve("make-cds.sh").toString(), JAR.toString(),
                BASE.resolve("target/vm-cache").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.waitFor() == 0 ? out : "";
    }

    private DynamicNode bootNode(Boot boot) {
        Run run = new Run();
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(dynamicTest("boot " + boot.topology(), () -> {
            boot(boot, run);
            if (!run.done) {
                fail("guest '" + boot.topology() + "' did not finish (launcher exit " + run.exit + ")\n"
                        + run.launcherOutput + consoleTail(run, 120));
            }
        }));
        for (String s : boot.scenarios()) {
            tests.add(dynamicTest(s, () -> scenario(run, s)));
        }
        if (boot.topology().equals("dual")) {
            tests.add(dynamicTest("benchmark table", () -> benchmark(run)));
        }
        return dynamicContainer(boot.topology(), tests.stream());
    }

    private static void boot(Boot boot, Run run) throws IOException, InterruptedException {
        run.out = BASE.resolve("target/vm-runs/" + boot.topology());
        Files.createDirectories(run.out);
        List<String> cmd = new ArrayList<>(List.of("bash", VM.resolve("run-vm.sh").toString(),
                "-t", Integer.toString(boot.timeoutSeconds()), "-o", run.out.toString(), boot.topology(),
                VM.resolve("guest/main.sh").toString(), "jar=" + JAR, "limit=" + SCENARIO_LIMIT_S));
        if (!cds.isEmpty()) {
            cmd.add("cds=" + cds);
        }
        cmd.addAll(boot.scenarios());
        // Beside the output folder, not in it: run-vm.sh empties that folder when it starts.
        Path log = run.out.resolveSibling(boot.topology() + ".launcher.log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(boot.timeoutSeconds() + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        run.exit = p.isAlive() ? -1 : p.exitValue();
        run.launcherOutput = read(log);
        Path results = run.out.resolve("results");
        for (String line : read(results).split("\n")) {
            if (line.startsWith("PASS ")) {
                run.verdicts.put(line.substring(5).strip(), "PASS");
            } else if (line.startsWith("FAIL ") || line.startsWith("SKIP ")) {
                int colon = line.indexOf(':');
                String name = colon > 0 ? line.substring(5, colon) : line.substring(5).strip();
                run.verdicts.put(name, line.substring(0, 4) + (colon > 0 ? line.substring(colon) : ""));
            } else if (line.startsWith("FIG ")) {
                run.figures.add(line.substring(4));
            } else if (line.equals("DONE")) {
                run.done = true;
            }
        }
        System.out.printf("guest %s: %s in %d s; %s%n", boot.topology(), run.done ? "finished" : "DID NOT FINISH",
                (System.nanoTime() - t0) / 1_000_000_000L, run.verdicts);
    }

    private static void scenario(Run run, String name) throws IOException {
        String v = run.verdicts.get(name);
        if ("PASS".equals(v)) {
            return;
        }
        if (v != null && v.startsWith("SKIP")) {
            String why = name + " skipped" + v.substring(4);
            System.out.println(why);
            if (REQUIRED) {
                fail(why + " (gpupass.vm.required=true: a skip fails)");
            }
            throw new TestAbortedException(why);
        }
        String why = v == null ? "no verdict (the guest " + (run.done ? "finished without running it" : "did not finish") + ")" : v;
        fail(name + ": " + why + "\n--- scenario log (" + name + ".log):\n" + tail(run.out.resolve(name + ".log"), 80)
                + "\n--- daemon log:\n" + tail(run.out.resolve(name + ".daemon.log"), 60)
                + consoleTail(run, 60));
    }

    private static void benchmark(Run run) throws IOException, InterruptedException {
        Path results = run.out.resolve("results");
        Process p = new ProcessBuilder("bash", VM.resolve("bench-table.sh").toString(), results.toString())
                .redirectErrorStream(true).start();
        String table = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Files.writeString(BASE.resolve("target/vm-runs/bench.txt"), table);
        System.out.println("real-kernel benchmark (guest under TCG):\n" + table);
        if (!table.contains("raw sysfs writes") || table.lines().noneMatch(l -> l.startsWith("raw") && !l.contains("n/a"))) {
            fail("no baseline figures in " + results + "\n" + table);
        }
    }

    private static String missingPrerequisites() throws IOException, InterruptedException {
        if (!Files.isRegularFile(VM.resolve("check-prereqs.sh"))) {
            return "no " + VM.resolve("check-prereqs.sh");
        }
        Process p = new ProcessBuilder("bash", VM.resolve("check-prereqs.sh").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? "" : out;
    }

    private static String consoleTail(Run run, int lines) throws IOException {
        return run.out == null ? "" : "\n--- guest console (" + run.out.resolve("console.log") + "):\n"
                + tail(run.out.resolve("console.log"), lines);
    }

    private static String tail(Path f, int lines) throws IOException {
        String s = read(f);
        List<String> all = s.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String read(Path f) throws IOException {
        return Files.isRegularFile(f) ? new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1) : "";
    }
}
