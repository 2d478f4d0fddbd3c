package org.gpupass.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.gpupass.cli.Gpupassctl;
import org.gpupass.systemd.SdNotify;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** gpupassctl against the bus layer over a fake core. */
@Timeout(60)
class GpupassctlBusTest {
    private TestBus bus;
    private BusService service;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception {
        bus = TestBus.start();
        service = BusService.start(new FakeGpuService(), bus.address(), SdNotify.from(Map.of(), 1));
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        bus.close();
    }

    private int ctl(String... args) {
        out.reset();
        err.reset();
        String[] all = new String[args.length + 1];
        all[0] = "--bus=" + bus.address();
        System.arraycopy(args, 0, all, 1, args.length);
        return new Gpupassctl(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(all);
    }

    @Test
    void status_claim_release_and_errors() {
        assertEquals(0, ctl("status"));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.startsWith("ADDRESS") && table.contains("0000:01:00.0 host     nvidia"), table);
        assertEquals(0, ctl("status", "--json"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("[{\"Address\":\"0000:00:02.0\""));
        assertEquals(0, ctl("claim", "01:00.0", "win11"));
        assertEquals("0000:01:00.0 is on vfio-pci for win11\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(6, ctl("claim", "01:00.0", "linux"));
        assertEquals("gpupassctl: held by win11\n", err.toString(StandardCharsets.UTF_8));
        assertEquals(7, ctl("release", "01:00.0", "linux"));
        assertEquals(3, ctl("claim", "nonsense", "x"));
        assertEquals(4, ctl("release", "07:00.0"));
        assertEquals(0, ctl("release", "01:00.0"));
    }

    @Test
    void options_anywhere_and_operands_after_double_dash() {
        assertEquals(0, ctl("claim", "01:00.0", "--timeout=30", "--", "-x"));
        assertEquals("0000:01:00.0 is on vfio-pci for -x\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(2, ctl("release", "01:00.0", "--json"), "an unknown option, not a holder");
        assertEquals(7, ctl("release", "--", "01:00.0", "--json"), "after --, a holder: not the holder");
        assertEquals(0, ctl("release", "01:00.0", "--", "-x"));
        assertEquals(0, ctl("--json", "status"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("[{"));
    }

    @Test
    void claim_domain_sends_the_xml_from_stdin() {
        String xml = "<domain><devices><hostdev mode='subsystem' type='pci'/></devices></domain>";
        assertEquals(0, ctlWithStdin(xml, "claim-domain", "win11"));
        assertEquals("0000:01:00.0 is on vfio-pci for win11\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(0, ctlWithStdin("<domain/>", "claim-domain", "plain"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("nothing claimed"), out.toString());
        assertEquals(3, ctlWithStdin("<notadomain/>", "claim-domain", "plain"), "the daemon's InvalidArgument");
    }

    private int ctlWithStdin(String stdin, String... args) {
        out.reset();
        err.reset();
        String[] all = new String[args.length + 1];
        all[0] = "--bus=" + bus.address();
        System.arraycopy(args, 0, all, 1, args.length);
        return new Gpupassctl(new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(all);
    }

    @Test
    void a_bus_without_the_daemon_is_exit_17() throws Exception {
        service.close();
        assertEquals(17, ctl("status"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("gpupassd is not running"), err.toString());
    }
}
