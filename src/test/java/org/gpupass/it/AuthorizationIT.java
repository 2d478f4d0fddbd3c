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

    @Test
    void with_polkitd_and_a_rule_a_member_of_the_allowed_group_may_claim() throws Exception {
        assumeTrue(root(), "needs root to run polkitd and install its action and rule");
        Path polkitd = Path.of("/usr/lib/polkit-1/polkitd");
        if (!Files.isExecutable(polkitd)) {
            polkitd = Path.of("/usr/libexec/polkitd");
        }
        assumeTrue(Files.isExecutable(polkitd), "polkitd is not installed (Debian: polkitd)");
        ensureUsers();
        Path action = Path.of("/usr/share/polkit-1/actions/org.gpupass1.policy");
        Path rule = Path.of("/etc/polkit-1/rules.d/48-gpupassd-it.rules");
        Path saved = Files.createTempFile("gpupass-policy", ".saved");
        boolean hadAction = Files.exists(action);
        if (hadAction) {
            Files.copy(action, saved, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Daemon daemon = Daemon.bus()) {
            Files.createDirectories(rule.getParent());
            Files.copy(Daemon.POLKIT_ACTION, action, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(rule, """
                    polkit.addRule(function(action, subject) {
                        if (action.id == "org.gpupass1.manage" && subject.isInGroup("%s")) {
                            return polkit.Result.YES;
                        }
                    });
                    """.formatted(GROUP));
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
        } finally {
            Files.deleteIfExists(rule);
            if (hadAction) {
                Files.copy(saved, action, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.deleteIfExists(action);
            }
            Files.deleteIfExists(saved);
        }
    }
}
