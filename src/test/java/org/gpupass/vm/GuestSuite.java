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
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.opentest4j.TestAbortedException;

/**
 * What the two qemu tiers share: booting a guest with src/test/vm/run-vm.sh, one boot per
 * topology running all its scenarios, and turning the verdict lines the guest wrote
 * ({@code PASS name}, {@code FAIL name: why}, {@code SKIP name: why}, {@code FIG key value},
 * {@code DONE}) into one test result per scenario, a failure carrying the scenario's log, the
 * daemon's log and the guest's console.
 *
 * <p>{@code gpupass.vm.topologies=a,b} runs only the boots of those names ({@code none}: no guest);
 * {@code gpupass.vm.required=true} (CI) makes a missing prerequisite or a skipped scenario fail.
 */
final class GuestSuite {
    static final Path BASE = Path.of(System.getProperty("gpupass.basedir", ".")).toAbsolutePath().normalize();
    static final Path VM = BASE.resolve("src/test/vm");
    static final Path JAR = Path.of(System.getProperty("gpupass.jar", BASE.resolve("target/gpupassd.jar").toString()))
            .toAbsolutePath().normalize();
    static final boolean REQUIRED = Boolean.parseBoolean(System.getProperty("gpupass.vm.required", "false"));
    /** A scenario's time limit inside the guest. */
    static final int SCENARIO_LIMIT_S = Integer.getInteger("gpupass.vm.scenarioLimit", 480);

    private GuestSuite() {
    }

    /**
     * One guest boot: its name (also its folder under target/vm-runs), the topology, the time limit
     * of the whole boot, whether it boots systemd (the real-stack tier, scenarios in
     * src/test/vm/stack) or runs the scenarios from the initramfs (src/test/vm/scenarios), and the
     * scenarios in order.
     */
    record Boot(String name, String topology, int timeoutSeconds, boolean systemd, List<String> scenarios) {
    }

    /** What one boot left behind. */
    static final class Run {
        Path out;
        int exit = -1;
        long seconds;
        String launcherOutput = "";
        final Map<String, String> verdicts = new LinkedHashMap<>(); // scenario -> "PASS" / "FAIL: why" / "SKIP: why"
        final List<String> figures = new ArrayList<>();
        boolean done;
    }

    /** The problems the check scripts print ("" when there are none). */
    static String missingPrerequisites(String... scripts) throws IOException, InterruptedException {
        StringBuilder missing = new StringBuilder();
        for (String script : scripts) {
            Path p = VM.resolve(script);
            if (!Files.isRegularFile(p)) {
                missing.append("no ").append(p).append('\n');
                continue;
            }
            Process check = new ProcessBuilder("bash", p.toString()).redirectErrorStream(true).start();
            String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (check.waitFor() != 0) {
                missing.append(out);
            }
        }
        return missing.toString();
    }

    /** A plain skip of the whole tier, or under gpupass.vm.required=true one failing test. */
    static Stream<DynamicNode> unavailable(String tier, String missing) {
        String msg = tier + " skipped: " + missing.strip().replace("\n", "; ");
        System.out.println(msg);
        if (REQUIRED) {
            return Stream.of(dynamicTest("prerequisites", () -> fail(msg + " (gpupass.vm.required=true)")));
        }
        Assumptions.abort(msg);
        return Stream.empty();
    }

    /** The boots gpupass.vm.topologies names (all when it is empty). */
    static Stream<Boot> selected(List<Boot> boots) {
        List<String> only = Stream.of(System.getProperty("gpupass.vm.topologies", "").split(","))
                .map(String::strip).filter(t -> !t.isEmpty()).toList();
        return boots.stream().filter(b -> only.isEmpty() || only.contains(b.name()));
    }

    /**
     * The boot as a container: a "boot" test, one test per scenario, then {@code more} (tests that
     * read the run, a benchmark table say).
     */
    static DynamicNode bootNode(Boot boot, List<String> guestArgs, Function<Run, List<DynamicTest>> more) {
        Run run = new Run();
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(dynamicTest("boot " + boot.name(), () -> {
            boot(boot, guestArgs, run);
            if (!run.done) {
                fail("guest '" + boot.name() + "' did not finish (launcher exit " + run.exit + ")\n"
                        + run.launcherOutput + consoleTail(run, 120));
            }
        }));
        for (String s : boot.scenarios()) {
            tests.add(dynamicTest(s, () -> scenario(run, s)));
        }
        tests.addAll(more.apply(run));
        return dynamicContainer(boot.name(), tests.stream());
    }

    private static void boot(Boot boot, List<String> guestArgs, Run run) throws IOException, InterruptedException {
        run.out = BASE.resolve("target/vm-runs/" + boot.name());
        Files.createDirectories(run.out);
        List<String> cmd = new ArrayList<>(List.of("bash", VM.resolve("run-vm.sh").toString()));
        if (boot.systemd()) {
            cmd.add("-s");
        }
        cmd.addAll(List.of("-t", Integer.toString(boot.timeoutSeconds()), "-o", run.out.toString(), boot.topology(),
                VM.resolve("guest/main.sh").toString(), "jar=" + JAR, "limit=" + SCENARIO_LIMIT_S));
        if (boot.systemd()) {
            cmd.add("dir=stack");
        }
        cmd.addAll(guestArgs);
        cmd.addAll(boot.scenarios());
        // Beside the output folder, not in it: run-vm.sh empties that folder when it starts.
        Path log = run.out.resolveSibling(boot.name() + ".launcher.log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(boot.timeoutSeconds() + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        run.exit = p.isAlive() ? -1 : p.exitValue();
        run.seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        run.launcherOutput = read(log);
        for (String line : read(run.out.resolve("results")).split("\n")) {
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
        System.out.printf("guest %s: %s in %d s; %s%n", boot.name(), run.done ? "finished" : "DID NOT FINISH",
                run.seconds, run.verdicts);
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

    /**
     * Prints the benchmark table (src/test/vm/bench-table.sh over the run's results) and keeps it in
     * target/vm-runs/FILE; fails when the raw baseline, the table's floor, is missing.
     */
    static DynamicTest benchmark(Run run, String file, String title) {
        return dynamicTest("benchmark table", () -> {
            Path results = run.out.resolve("results");
            Process p = new ProcessBuilder("bash", VM.resolve("bench-table.sh").toString(), results.toString())
                    .redirectErrorStream(true).start();
            String table = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            Files.writeString(BASE.resolve("target/vm-runs/" + file), table);
            System.out.println(title + ":\n" + table);
            if (!table.contains("raw sysfs writes") || table.lines().noneMatch(l -> l.startsWith("raw") && !l.contains("n/a"))) {
                fail("no baseline figures in " + results + "\n" + table);
            }
        });
    }

    private static String consoleTail(Run run, int lines) throws IOException {
        return run.out == null ? "" : "\n--- guest console (" + run.out.resolve("console.log") + "):\n"
                + tail(run.out.resolve("console.log"), lines);
    }

    private static String tail(Path f, int lines) throws IOException {
        List<String> all = read(f).lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String read(Path f) throws IOException {
        return Files.isRegularFile(f) ? new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1) : "";
    }
}
