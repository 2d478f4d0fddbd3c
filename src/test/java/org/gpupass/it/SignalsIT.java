package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Signal order as {@code gdbus monitor} sees it. */
@Timeout(120)
class SignalsIT {

    /** gdbus monitor on the daemon, its lines in a file. */
    private static Path monitor(Daemon daemon) throws Exception {
        Path out = daemon.dir.resolve("monitor.txt");
        Process p = new ProcessBuilder("gdbus", "monitor", "--address", daemon.address, "--dest", Daemon.NAME)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        daemon.adopt(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(out).contains("is owned by")) {
            assertTrue(System.nanoTime() < deadline, "gdbus monitor did not start: " + Files.readString(out));
            Thread.sleep(20);
        }
        return out;
    }

    private static List<String> lines(Path out, String... needles) throws Exception {
        Thread.sleep(500);
        return Files.readAllLines(out).stream().filter(l -> {
            for (String n : needles) {
                if (l.contains(n)) {
                    return true;
                }
            }
            return false;
        }).toList();
    }

    @Test
    void a_claim_shows_host_claiming_vfio_and_a_release_the_way_back() throws Exception {
        try (Daemon daemon = Daemon.start("")) {
            Path out = monitor(daemon);
            assertTrue(daemon.call("Claim", "ss", "01:00.0", "win11").ok());
            assertTrue(daemon.call("Release", "ss", "01:00.0", "win11").ok());
            List<String> states = lines(out, "StateChanged");
            assertEquals(4, states.size(), String.join("\n", states));
            assertTrue(states.get(0).endsWith("'0000:01:00.0', 'host', 'claiming', 'win11')"), states.get(0));
            assertTrue(states.get(1).endsWith("'0000:01:00.0', 'claiming', 'vfio', 'win11')"), states.get(1));
            assertTrue(states.get(2).endsWith("'0000:01:00.0', 'vfio', 'releasing', 'win11')"), states.get(2));
            assertTrue(states.get(3).endsWith("'0000:01:00.0', 'releasing', 'host', '')"), states.get(3));
            assertTrue(states.get(0).startsWith("/org/gpupass1: org.gpupass1.Manager.StateChanged (objectpath "
                    + "'/org/gpupass1/gpu/pci_0000_01_00_0'"), states.get(0));

            List<String> all = lines(out, "StateChanged", "PropertiesChanged");
            int firstState = indexOf(all, "'claiming'>");
            int firstSignal = indexOf(all, "'host', 'claiming'");
            assertTrue(firstState >= 0 && firstState < firstSignal, "PropertiesChanged(State) comes with it:\n"
                    + String.join("\n", all));
            assertTrue(indexOf(all, "'Transition': <'claim 0000:01:00.0 for win11'>") < firstSignal);
            assertTrue(indexOf(all, "'Holder': <'win11'>") >= 0, String.join("\n", all));
        }
    }

    @Test
    void a_failed_claim_is_reported_after_the_fact() throws Exception {
        try (Daemon daemon = Daemon.start("", Map.of("GPUPASSD_SIM_FAULTS", "fail:SET_OVERRIDE:0000:01:00.1:EIO"),
                null)) {
            Path out = monitor(daemon);
            Cmd claim = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0", "string:win11");
            assertTrue(claim.err().startsWith("Error org.gpupass1.Error.TransitionFailed:"), claim.toString());
            List<String> all = lines(out, "StateChanged", "TransitionFailed");
            assertTrue(all.size() >= 3, String.join("\n", all));
            String last = all.get(all.size() - 1);
            assertTrue(last.contains("org.gpupass1.Manager.TransitionFailed (objectpath '/org/gpupass1/gpu/pci_0000_01_00_0',"
                    + " '0000:01:00.0', 'org.gpupass1.Error.TransitionFailed', '"), String.join("\n", all));
            assertTrue(all.get(all.size() - 2).contains("'claiming', 'host'"), "state first:\n" + String.join("\n", all));
            assertEquals("s \"host\"", daemon.gpuProperty(Daemon.NVIDIA, "State"));
            assertTrue(daemon.gpuProperty(Daemon.NVIDIA, "LastError").contains("EIO"));
        }
    }

    private static int indexOf(List<String> lines, String needle) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(needle)) {
                return i;
            }
        }
        return -1;
    }
}
