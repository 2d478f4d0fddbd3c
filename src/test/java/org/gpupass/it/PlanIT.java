package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code gpupassctl plan} against the real daemon: the steps it prints are the steps the following
 * Claim and Release log, on the simulated hosts and the configurations that change a plan; a refusal
 * is the error the call gets; anyone may ask, and nothing changes.
 */
@Timeout(180)
class PlanIT {
    private static final Pattern STEPS = Pattern.compile("\"steps\":\\[(.*?)\\]");

    private static Cmd ctl(Daemon d, String... args) {
        List<String> c = Cmd.list(Daemon.java(), "-cp", Daemon.JAR.toString(), "org.gpupass.cli.Gpupassctl",
                "--bus=" + d.address);
        c.addAll(List.of(args));
        return Cmd.run(c);
    }

    private static List<String> steps(String json) {
        Matcher m = STEPS.matcher(json);
        assertTrue(m.find(), json);
        List<String> out = new ArrayList<>();
        for (String s : m.group(1).split("\",\"")) {
            if (!s.isEmpty()) {
                out.add(s.replaceAll("^\"|\"$", ""));
            }
        }
        return out;
    }

    /** The steps the daemon logged for the transition named {@code text} ("claim 0000:01:00.0 for win11"). */
    private static List<String> logged(Daemon d, String text) {
        Matcher m = Pattern.compile(Pattern.quote(text) + ": [0-9]+ steps: (.*)").matcher(d.log());
        assertTrue(m.find(), "no plan logged for " + text + ":\n" + d.log());
        return List.of(m.group(1).strip().split("; "));
    }

    private static void planEqualsWhatRuns(String host, String config) throws Exception {
        try (Daemon d = Daemon.start(host, Map.of(), config)) {
            Cmd plan = ctl(d, "plan", "claim", "01:00.0", "win11", "--json");
            assertEquals(0, plan.exit(), plan.toString());
            assertTrue(plan.out().contains("\"outcome\":\"transition\""), plan.out());
            String before = d.status();
            assertEquals(before, d.status(), "a plan changes nothing");
            assertTrue(d.call("Claim", "ss", "01:00.0", "win11").ok());
            assertEquals(steps(plan.out()), logged(d, "claim 0000:01:00.0 for win11"), host + " [" + config + "]");
            plan = ctl(d, "plan", "release", "01:00.0", "win11", "--json");
            assertEquals(0, plan.exit(), plan.toString());
            assertTrue(d.call("Release", "ss", "01:00.0", "win11").ok());
            assertEquals(steps(plan.out()), logged(d, "release 0000:01:00.0 from win11"), host + " [" + config + "]");
        }
    }

    @Test
    void dualGpuPlansAreWhatRuns() throws Exception {
        planEqualsWhatRuns("dual-gpu", "");
        planEqualsWhatRuns("dual-gpu", "unload_host_modules = yes\nstop_display_manager = when-holding\n");
    }

    @Test
    void anyoneMayAskForAPlan() throws Exception {
        assumeTrue(Cmd.run(List.of("id", "gpupass-test")).exit() == 0, "no user gpupass-test");
        try (Daemon d = Daemon.start("dual-gpu")) {
            Cmd other = d.busctlAs("gpupass-test", "call", Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager",
                    "Plan", "sss", "claim", "", "win11");
            assertTrue(other.out().startsWith("a{sv} 3 \"gpu\" s \"0000:01:00.0\" \"outcome\" s \"transition\" \"steps\" as 10 \"load module vfio_pci\""),
                    other.toString());
            Cmd bad = d.call("Plan", "sss", "detach", "01:00.0", "win11");
            assertTrue(bad.err().contains("operation must be 'claim' or 'release'"), bad.toString());
        }
    }

    @Test
    void singleGpuWithTheDisplayManagerAndConsolesPlansAreWhatRuns() throws Exception {
        planEqualsWhatRuns("single-gpu", "allow_boot_display = yes\nstop_display_manager = when-holding\n"
                + "unbind_consoles = yes\n");
    }

    @Test
    void aRefusalIsTheErrorTheCallWouldGetAndAnyoneMayAsk() throws Exception {
        try (Daemon d = Daemon.start("shared-group")) {
            Cmd plan = ctl(d, "plan", "claim", "01:00.0", "win11", "--json");
            assertEquals(9, plan.exit(), plan.toString());
            assertTrue(plan.out().contains("\"error\":\"org.gpupass1.Error.IommuGroupUnsafe\""), plan.out());
            Cmd human = ctl(d, "plan", "claim", "01:00.0", "win11");
            assertEquals(9, human.exit());
            assertTrue(human.err().contains("IOMMU group 1 also holds 0000:00:17.0"), human.err());
            Cmd claim = d.call("Claim", "ss", "01:00.0", "win11");
            assertTrue(claim.err().contains("IOMMU group 1 also holds 0000:00:17.0"), claim.toString());
            assertEquals(2, ctl(d, "plan", "detach", "01:00.0").exit(), "an unknown operation is a usage error");
        }
    }
}
