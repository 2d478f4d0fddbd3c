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
        return watch(daemon, "monitor.txt", "is owned by", "gdbus", "monitor", "--address", daemon.address, "--dest",
                Daemon.NAME);
    }

    /** A monitoring command, its output in {@code file}, once it has printed {@code ready}. */
    private static Path watch(Daemon daemon, String file, String ready, String... command) throws Exception {
        Path out = daemon.dir.resolve(file);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        daemon.adopt(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(out).contains(ready)) {
            assertTrue(System.nanoTime() < deadline, command[0] + " did not start: " + Files.readString(out));
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

    /** dbus-monitor (a monitor sees every message in the order the bus delivers it), its lines in a file. */
    private static Path busMonitor(Daemon daemon) throws Exception {
        return watch(daemon, "bus-monitor.txt", "member=NameLost", "dbus-monitor", "--address", daemon.address);
    }

    private static final java.util.regex.Pattern HEADER = java.util.regex.Pattern.compile(
            "^(signal|method call|method return|error) time=\\S+ sender=(\\S+) -> destination=(\\S+) .*");

    /**
     * The daemon's messages as the bus delivered them, one word each: "call M" for a call to it, "reply" and
     * "error NAME" for its answers, "signal MEMBER" for its signals (with the state words of StateChanged).
     */
    private static List<String> daemonTraffic(Daemon daemon, Path monitor) throws Exception {
        Thread.sleep(500);
        String owner = daemon.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetNameOwner", "s", Daemon.NAME).out().replaceAll("^s \"(.*)\"$", "$1");
        List<String> lines = Files.readAllLines(monitor);
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            java.util.regex.Matcher m = HEADER.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            String kind = m.group(1);
            String line = lines.get(i);
            String member = line.replaceAll(".*member=(\\S+).*", "$1");
            if (kind.equals("method call") && (m.group(3).equals(owner) || m.group(3).equals(Daemon.NAME))
                    && (member.equals("Claim")
                    || member.equals("Release"))) {
                out.add("call " + member);
            } else if (m.group(2).equals(owner) && kind.equals("method return") && !m.group(3).equals("org.freedesktop.DBus")) {
                out.add("reply");
            } else if (m.group(2).equals(owner) && kind.equals("error")) {
                out.add("error " + line.replaceAll(".*error_name=(\\S+).*", "$1"));
            } else if (m.group(2).equals(owner) && kind.equals("signal")) {
                String words = "";
                if (member.equals("StateChanged")) {
                    words = " " + lines.get(i + 3).trim().replace("string ", "").replace("\"", "") + ">"
                            + lines.get(i + 4).trim().replace("string ", "").replace("\"", "");
                }
                out.add("signal " + member + words);
            }
        }
        return out;
    }

    /** Between a reply (or error) and the next call nothing of the daemon's may come: its signals went first. */
    private static void assertNoSignalAfterAReply(List<String> traffic) {
        boolean replied = false;
        for (String t : traffic) {
            if (t.startsWith("call ")) {
                replied = false;
            } else if (t.equals("reply") || t.startsWith("error ")) {
                replied = true;
            } else if (replied) {
                throw new AssertionError("a signal after the reply it belongs before: " + t + "\n" + String.join("\n", traffic));
            }
        }
    }

    @Test
    void every_signal_of_a_claim_or_release_reaches_a_client_before_its_reply() throws Exception {
        try (Daemon daemon = Daemon.start("")) {
            Path monitor = busMonitor(daemon);
            for (int i = 0; i < 10; i++) {
                assertTrue(daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0",
                        "string:win11").ok());
                assertTrue(daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Release", "string:01:00.0",
                        "string:win11").ok());
            }
            List<String> traffic = daemonTraffic(daemon, monitor);
            assertEquals(20, traffic.stream().filter("reply"::equals).count(), String.join("\n", traffic));
            assertEquals(10, traffic.stream().filter(t -> t.equals("signal StateChanged claiming>vfio")).count());
            assertEquals(10, traffic.stream().filter(t -> t.equals("signal StateChanged releasing>host")).count());
            assertNoSignalAfterAReply(traffic);
        }
    }

    @Test
    void transition_failed_and_last_error_reach_a_client_before_the_error_reply() throws Exception {
        try (Daemon daemon = Daemon.start("", Map.of("GPUPASSD_SIM_FAULTS", "fail:SET_OVERRIDE:0000:01:00.1:EIO"),
                null)) {
            Path monitor = busMonitor(daemon);
            for (int i = 0; i < 5; i++) {
                Cmd claim = daemon.dbusSend(Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0",
                        "string:win11");
                assertTrue(claim.err().startsWith("Error org.gpupass1.Error.TransitionFailed:"), claim.toString());
            }
            List<String> traffic = daemonTraffic(daemon, monitor);
            assertEquals(5, traffic.stream().filter(t -> t.equals("error org.gpupass1.Error.TransitionFailed")).count(),
                    String.join("\n", traffic));
            assertNoSignalAfterAReply(traffic);
            int firstError = traffic.indexOf("error org.gpupass1.Error.TransitionFailed");
            assertTrue(traffic.subList(0, firstError).contains("signal TransitionFailed"), String.join("\n", traffic));
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
