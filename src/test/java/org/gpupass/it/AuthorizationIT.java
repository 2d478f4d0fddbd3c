package org.gpupass.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who may do what: everyone reads; root claims; a non-root caller claims only when polkit says yes. Needs
 * root (to create the test users, run setpriv and polkitd); skips with the reason otherwise.
 */
@Timeout(180)
class AuthorizationIT {
    static final String READER = "gpupass-test";
    static final String ADMIN = "gpupass-admin";
    static final String GROUP = "gpupass-it";

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Creates the test group and users if missing: READER in no extra group, ADMIN in GROUP. */
    static void ensureUsers() {
        if (!Cmd.run(List.of("getent", "group", GROUP)).ok()) {
            assertTrue(Cmd.run(List.of("groupadd", "--system", GROUP)).ok(), "groupadd " + GROUP);
        }
        for (String user : List.of(READER, ADMIN)) {
            if (!Cmd.run(List.of("id", user)).ok()) {
                assertTrue(Cmd.run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        user)).ok(), "useradd " + user);
            }
        }
        assertTrue(Cmd.run(List.of("usermod", "-a", "-G", GROUP, ADMIN)).ok());
    }

    private static Cmd dbusSendAs(Daemon daemon, String user, String path, String member, String... args) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups",
                "dbus-send", "--bus=" + daemon.address, "--print-reply", "--reply-timeout=60000",
                "--dest=" + Daemon.NAME, path, member));
        c.addAll(List.of(args));
        return Cmd.run(c);
    }

    @Test
    void a_non_root_caller_reads_everything_but_cannot_claim_without_polkit() throws Exception {
        assumeTrue(root(), "needs root to create users and setpriv to them");
        ensureUsers();
        try (Daemon daemon = Daemon.start("")) {
            String before = daemon.status();
            assertEquals("s \"host\"", daemon.busctlAs(READER, "get-property", Daemon.NAME, Daemon.NVIDIA,
                    "org.gpupass1.Gpu", "State").out());
            assertTrue(daemon.busctlAs(READER, "call", Daemon.NAME, Daemon.MANAGER, "org.gpupass1.Manager", "Status").ok());
            assertTrue(daemon.busctlAs(READER, "introspect", Daemon.NAME, Daemon.NVIDIA).ok());
            for (String[] call : new String[][] {{"Claim", "string:01:00.0", "string:vm"},
                    {"Release", "string:01:00.0", "string:"}, {"ReleaseDomain", "string:vm"},
                    {"ClaimDomain", "string:vm", "string:<domain/>"}}) {
                String[] args = java.util.Arrays.copyOfRange(call, 1, call.length);
                Cmd denied = dbusSendAs(daemon, READER, Daemon.MANAGER, "org.gpupass1.Manager." + call[0], args);
                assertTrue(denied.err().startsWith("Error org.freedesktop.DBus.Error.AccessDenied: "), denied.toString());
                assertTrue(denied.err().contains("polkit"), "says why: " + denied);
            }
            Cmd gpuClaim = dbusSendAs(daemon, READER, Daemon.NVIDIA, "org.gpupass1.Gpu.Claim", "string:vm");
            assertTrue(gpuClaim.err().startsWith("Error org.freedesktop.DBus.Error.AccessDenied: "), gpuClaim.toString());
            assertEquals(before, daemon.status());
            Cmd own = Cmd.run(List.of("setpriv", "--reuid=" + READER, "--regid=" + READER, "--init-groups", "busctl",
                    "--address=" + daemon.address, "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus", "RequestName", "su", "org.gpupass1", "4"));
            assertFalse(own.ok(), "the bus policy lets only root own org.gpupass1: " + own);
        }
    }

    /** polkitd on the daemon's private bus with {@code rule} installed, and the daemon; undone by {@link Polkit#close}. */
    private static final class Polkit implements AutoCloseable {
        private final Path action = Path.of("/usr/share/polkit-1/actions/org.gpupass1.policy");
        private final Path rule;
        private final Path saved;
        private final boolean hadAction;

        Polkit(Daemon daemon, String ruleName, String ruleText) throws Exception {
            Path polkitd = Path.of("/usr/lib/polkit-1/polkitd");
            if (!Files.isExecutable(polkitd)) {
                polkitd = Path.of("/usr/libexec/polkitd");
            }
            assumeTrue(Files.isExecutable(polkitd), "polkitd is not installed (Debian: polkitd)");
            rule = Path.of("/etc/polkit-1/rules.d/" + ruleName);
            saved = Files.createTempFile("gpupass-policy", ".saved");
            hadAction = Files.exists(action);
            if (hadAction) {
                Files.copy(action, saved, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.createDirectories(rule.getParent());
            Files.copy(Daemon.POLKIT_ACTION, action, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(rule, ruleText);
            ProcessBuilder pb = new ProcessBuilder(polkitd.toString(), "--no-debug").redirectErrorStream(true)
                    .redirectOutput(daemon.dir.resolve("polkitd.log").toFile());
            pb.environment().put("DBUS_SYSTEM_BUS_ADDRESS", daemon.address);
            daemon.adopt(pb.start());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!"b true".equals(daemon.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus", "NameHasOwner", "s", "org.freedesktop.PolicyKit1").out())) {
                assertTrue(System.nanoTime() < deadline, "polkitd did not come up: "
                        + Files.readString(daemon.dir.resolve("polkitd.log")));
                Thread.sleep(50);
            }
        }

        @Override
        public void close() throws Exception {
            Files.deleteIfExists(rule);
            if (hadAction) {
                Files.copy(saved, action, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.deleteIfExists(action);
            }
            Files.deleteIfExists(saved);
        }
    }

    @Test
    void with_polkitd_and_a_rule_a_member_of_the_allowed_group_may_claim() throws Exception {
        assumeTrue(root(), "needs root to run polkitd and install its action and rule");
        ensureUsers();
        try (Daemon daemon = Daemon.bus(); Polkit polkit = new Polkit(daemon, "48-gpupassd-it.rules", """
                polkit.addRule(function(action, subject) {
                    if (action.id == "org.gpupass1.manage" && subject.isInGroup("%s")) {
                        return polkit.Result.YES;
                    }
                });
                """.formatted(GROUP))) {
            daemon.launch("", Map.of(), null);

            Cmd denied = dbusSendAs(daemon, READER, Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0",
                    "string:vm");
            assertTrue(denied.err().startsWith("Error org.freedesktop.DBus.Error.AccessDenied: "), denied.toString());
            assertTrue(denied.err().contains("polkit"), denied.toString());

            Cmd allowed = dbusSendAs(daemon, ADMIN, Daemon.MANAGER, "org.gpupass1.Manager.Claim", "string:01:00.0",
                    "string:vm");
            assertTrue(allowed.ok(), allowed + "\n" + daemon.log());
            assertEquals("s \"vm\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
            Cmd release = dbusSendAs(daemon, ADMIN, Daemon.MANAGER, "org.gpupass1.Manager.Release", "string:01:00.0",
                    "string:vm");
            assertTrue(release.ok(), release.toString());
        }
    }

    /**
     * Issue 10: a user who types a password takes time. With an agent that answers after
     * {@code gpupass.it.polkitAgentDelay} seconds (30 by default: past the 20 s dbus-java's calls wait by
     * default, and busctl's 25 s), the call succeeds, and meanwhile root's calls and reads are answered as
     * ever. Run with -Dgpupass.it.polkitAgentDelay=125 to see two minutes.
     */
    @Test
    void an_interactive_check_that_takes_long_succeeds_and_holds_up_nobody() throws Exception {
        assumeTrue(root(), "needs root to run polkitd and an agent for another user's process");
        ensureUsers();
        long delay = Long.getLong("gpupass.it.polkitAgentDelay", 30);
        try (Daemon daemon = Daemon.bus(); Polkit polkit = new Polkit(daemon, "48-gpupassd-late-agent-it.rules", """
                polkit.addRule(function(action, subject) {
                    if (action.id == "org.gpupass1.manage" && subject.user == "%s") {
                        return polkit.Result.AUTH_SELF;
                    }
                });
                """.formatted(READER))) {
            daemon.launch("", Map.of(), null);
            // The caller waits a moment before it calls (same pid throughout: setpriv and sh exec), so that the
            // agent can register for its process first.
            Process caller = new ProcessBuilder("setpriv", "--reuid=" + READER, "--regid=" + READER, "--init-groups",
                    "sh", "-c", "sleep 3; exec dbus-send --bus=" + daemon.address + " --print-reply"
                    + " --reply-timeout=" + (delay + 120) * 1000 + " --dest=" + Daemon.NAME + " " + Daemon.MANAGER
                    + " org.gpupass1.Manager.Claim string:01:00.0 string:late-vm").redirectErrorStream(true)
                    .redirectOutput(daemon.dir.resolve("caller.txt").toFile()).start();
            long started = System.nanoTime();
            try (SlowPolkitAgent agent = SlowPolkitAgent.forProcess(daemon.address, caller.pid(), delay * 1000)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (agent.asked.get() == 0) {
                    assertTrue(System.nanoTime() < deadline, "polkit never asked the agent: "
                            + Files.readString(daemon.dir.resolve("polkitd.log")) + daemon.log());
                    Thread.sleep(50);
                }
                // While the user "types", root claims and releases the GPU, and reads answer.
                long t0 = System.nanoTime();
                assertTrue(daemon.call("Claim", "ss", "01:00.0", "root-vm").ok());
                assertTrue(daemon.call("Release", "ss", "01:00.0", "root-vm").ok());
                assertTrue(daemon.status().contains("\"State\""));
                long rootMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(rootMillis < 5_000, "root's calls took " + rootMillis + " ms while polkit waited");
                assertTrue(caller.isAlive(), "the user's call is still waiting for the agent");
                assertTrue(caller.waitFor(delay + 60, TimeUnit.SECONDS), "the user's call never ended");
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            String out = Files.readString(daemon.dir.resolve("caller.txt"));
            assertEquals(0, caller.exitValue(), out + "\n" + daemon.log());
            assertTrue(seconds >= delay, "answered after " + seconds + " s");
            assertEquals("s \"late-vm\"", daemon.gpuProperty(Daemon.NVIDIA, "Holder"));
            System.out.printf("a polkit check answered after %d s: the call succeeded after %d s%n", delay, seconds);
        }
    }
}
