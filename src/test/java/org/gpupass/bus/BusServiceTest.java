package org.gpupass.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.Introspectable;
import org.freedesktop.dbus.interfaces.Peer;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.systemd.SdNotify;
import org.gpupass1.Error;
import org.gpupass1.Manager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BusServiceTest {
    private static final String NVIDIA = "/org/gpupass1/gpu/pci_0000_01_00_0";

    private TestBus bus;
    private FakeGpuService core;
    private BusService service;
    private DBusConnection client;
    private Manager manager;

    @BeforeEach
    void start() throws Exception {
        bus = TestBus.start();
        core = new FakeGpuService();
        service = BusService.start(core, bus.address(), SdNotify.from(Map.of(), 1));
        client = DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build();
        manager = client.getRemoteObject(BusNames.BUS_NAME, BusNames.MANAGER_PATH, Manager.class);
    }

    @AfterEach
    void stop() throws Exception {
        core.gate.countDown();
        client.disconnect();
        service.close();
        bus.close();
    }

    private Properties properties(String path) throws Exception {
        return client.getRemoteObject(BusNames.BUS_NAME, path, Properties.class);
    }

    @Test
    void gpu_properties_have_the_spec_types() throws Exception {
        Properties gpu = properties(NVIDIA);
        assertEquals(new UInt16(0x10de), gpu.Get(BusNames.GPU_INTERFACE, "VendorId"));
        assertEquals(new UInt16(0x2705), gpu.Get(BusNames.GPU_INTERFACE, "DeviceId"));
        assertEquals(1, (Integer) gpu.Get(BusNames.GPU_INTERFACE, "IommuGroup"));
        assertInstanceOf(UInt64.class, gpu.Get(BusNames.GPU_INTERFACE, "Since"));
        assertEquals("host", gpu.Get(BusNames.GPU_INTERFACE, "State"));
        Map<String, Variant<?>> all = gpu.GetAll(BusNames.GPU_INTERFACE);
        assertEquals(GpuProperties.NAMES, new ArrayList<>(all.keySet()));
        assertEquals("as", all.get("Functions").getSig());
        assertEquals(List.of("0000:01:00.0", "0000:01:00.1"), all.get("Functions").getValue());
    }

    @Test
    void manager_properties_and_status() throws Exception {
        Properties props = properties(BusNames.MANAGER_PATH);
        assertEquals("0.1.0-test", props.Get(BusNames.MANAGER_INTERFACE, "Version"));
        assertEquals("", props.Get(BusNames.MANAGER_INTERFACE, "Transition"));
        assertEquals("ao", props.GetAll(BusNames.MANAGER_INTERFACE).get("Gpus").getSig());
        List<Map<String, Variant<?>>> status = manager.Status();
        assertEquals(2, status.size());
        assertEquals("0000:00:02.0", status.get(0).get("Address").getValue());
        assertEquals(GpuProperties.NAMES, new ArrayList<>(status.get(1).keySet()));
    }

    @Test
    void busctl_gets_each_property_as_a_variant() throws Exception {
        assertEquals("q 4318", busctl("get-property", BusNames.BUS_NAME, NVIDIA, BusNames.GPU_INTERFACE, "VendorId"));
        assertEquals("i 1", busctl("get-property", BusNames.BUS_NAME, NVIDIA, BusNames.GPU_INTERFACE, "IommuGroup"));
        assertEquals("as 2 \"0000:01:00.0\" \"0000:01:00.1\"",
                busctl("get-property", BusNames.BUS_NAME, NVIDIA, BusNames.GPU_INTERFACE, "Functions"));
        assertEquals("ao 2 \"/org/gpupass1/gpu/pci_0000_00_02_0\" \"" + NVIDIA + "\"",
                busctl("get-property", BusNames.BUS_NAME, BusNames.MANAGER_PATH, BusNames.MANAGER_INTERFACE, "Gpus"));
        String introspection = busctl("introspect", BusNames.BUS_NAME, NVIDIA);
        assertTrue(introspection.contains(".VendorId") && introspection.contains("property  q"), introspection);
    }

    @Test
    void errors_carry_the_spec_names_and_messages() throws Exception {
        core.failNext(new GpuPassException(ErrorKind.IN_USE, "pid 1234 (Xorg, uid 0, sddm.service) holds /dev/dri/card1"));
        Error.InUse e = assertThrows(Error.InUse.class, () -> manager.Claim("01:00.0", "win11"));
        assertTrue(e.getMessage().contains("pid 1234"), e.getMessage());
        assertThrows(Error.InvalidArgument.class, () -> manager.Claim("01:00", "win11"));
        assertThrows(Error.NoSuchDevice.class, () -> manager.Claim("05:00.0", "win11"));
        String reply = dbusSend(BusNames.MANAGER_PATH, "org.gpupass1.Manager.Claim", "string:zz:00.0", "string:vm");
        assertTrue(reply.startsWith("Error org.gpupass1.Error.InvalidArgument: not a PCI address"), reply);
        String readOnly = dbusSend(NVIDIA, "org.freedesktop.DBus.Properties.Set", "string:org.gpupass1.Gpu",
                "string:Holder", "variant:string:me");
        assertTrue(readOnly.startsWith("Error org.freedesktop.DBus.Error.PropertyReadOnly"), readOnly);
        String unknown = dbusSend(NVIDIA, "org.freedesktop.DBus.Properties.Get", "string:org.gpupass1.Gpu",
                "string:Nope");
        assertTrue(unknown.startsWith("Error org.freedesktop.DBus.Error.UnknownProperty"), unknown);
    }

    @Test
    void a_claim_shows_host_claiming_vfio_in_order() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        client.addSigHandler(Manager.StateChanged.class,
                s -> seen.add("state " + s.oldState() + ">" + s.newState() + " " + s.holder()));
        client.addSigHandler(Properties.PropertiesChanged.class, s -> {
            if (s.getPath().equals(NVIDIA)) {
                seen.add("props " + s.getPropertiesChanged().keySet());
            }
        });
        DBusPath gpu = manager.Claim("01:00.1", "win11");
        assertEquals(NVIDIA, gpu.getPath());
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            events.add(seen.poll(5, TimeUnit.SECONDS));
        }
        assertEquals("props [State, Claimable, Holder, Since]", events.get(0));
        assertEquals("state host>claiming win11", events.get(1));
        assertEquals("props [State, Driver, Since]", events.get(2));
        assertEquals("state claiming>vfio win11", events.get(3));
        assertEquals("win11", properties(NVIDIA).Get(BusNames.GPU_INTERFACE, "Holder"));
    }

    @Test
    void transition_failed_is_a_signal_with_the_error_name() throws Exception {
        BlockingQueue<Manager.TransitionFailed> seen = new LinkedBlockingQueue<>();
        client.addSigHandler(Manager.TransitionFailed.class, seen::add);
        core.fireFailure(new GpuPassException(ErrorKind.TRANSITION_FAILED, "bind: ENODEV"));
        Manager.TransitionFailed signal = seen.poll(5, TimeUnit.SECONDS);
        assertEquals("org.gpupass1.Error.TransitionFailed", signal.error());
        assertEquals("0000:01:00.0", signal.address());
        assertEquals(NVIDIA, signal.gpu().getPath());
    }

    /**
     * Calls that move GPUs hold no thread of dbus-java's pool while they wait, so reads answer at once, and
     * every caller waits its turn: none is turned away with Busy because others wait too.
     */
    @Test
    void reads_answer_at_once_while_claims_wait_and_no_waiting_claim_is_turned_away() throws Exception {
        core.gate = new CountDownLatch(1);
        int callers = 20;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<String>> claims = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            String holder = "vm" + i;
            claims.add(pool.submit(() -> {
                try {
                    manager.Claim("01:00.0", holder);
                    return "ok";
                } catch (Error.Busy e) {
                    return "busy";
                } catch (Error.AlreadyClaimed e) {
                    return "claimed";
                }
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (core.waiting.get() < callers && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(callers, core.waiting.get(), "every caller reached the core");
        Properties gpu = properties(NVIDIA);
        Introspectable intro = client.getRemoteObject(BusNames.BUS_NAME, NVIDIA, Introspectable.class);
        Peer peer = client.getRemoteObject(BusNames.BUS_NAME, NVIDIA, Peer.class);
        for (int i = 0; i < 50; i++) {
            long start = System.nanoTime();
            manager.Status();
            gpu.Get(BusNames.GPU_INTERFACE, "State");
            gpu.GetAll(BusNames.GPU_INTERFACE);
            intro.Introspect();
            peer.Ping();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 500, "reads took " + ms + " ms while claims wait");
        }
        core.gate.countDown();
        List<String> outcomes = new ArrayList<>();
        for (Future<String> f : claims) {
            outcomes.add(f.get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(1, outcomes.stream().filter("ok"::equals).count(), outcomes.toString());
        assertEquals(callers - 1, outcomes.stream().filter("claimed"::equals).count(), outcomes.toString());
    }

    /** dbus-java's own refusals go out under the standard names, each for what it is. */
    @Test
    void unknown_objects_methods_interfaces_and_wrong_arguments_have_the_standard_error_names() throws Exception {
        String[][] cases = {
            {"/org/gpupass1/gpu/pci_0000_07_00_0", "org.gpupass1.Gpu.Claim", "UnknownObject", "string:vm"},
            {"/org/gpupass1/gpu/pci_0000_07_00_0", "org.freedesktop.DBus.Introspectable.Introspect", "UnknownObject"},
            {"/org/gpupass1/nothing", "org.freedesktop.DBus.Properties.GetAll", "UnknownObject", "string:"},
            {BusNames.MANAGER_PATH, "org.gpupass1.Manager.Frobnicate", "UnknownMethod"},
            {NVIDIA, "org.gpupass1.Gpu.Status", "UnknownMethod"},
            {BusNames.MANAGER_PATH, "org.example.Other.Status", "UnknownInterface"},
            {BusNames.MANAGER_PATH, "org.gpupass1.Manager.Claim", "InvalidArgs", "string:01:00.0"},
            {BusNames.MANAGER_PATH, "org.gpupass1.Manager.Claim", "InvalidArgs", "int32:1", "int32:2"},
            {BusNames.MANAGER_PATH, "org.gpupass1.Manager.Status", "InvalidArgs", "string:x"},
            {NVIDIA, "org.freedesktop.DBus.Properties.Get", "InvalidArgs", "string:org.gpupass1.Gpu"},
            {NVIDIA, "org.gpupass1.Gpu.Release", "InvalidArgs", "string:a", "string:b"},
        };
        for (String[] c : cases) {
            String reply = dbusSend(c[0], c[1], java.util.Arrays.copyOfRange(c, 3, c.length));
            assertTrue(reply.startsWith("Error org.freedesktop.DBus.Error." + c[2] + ": "), String.join(" ", c)
                    + " -> " + reply);
        }
        assertEquals("host", properties(NVIDIA).Get(BusNames.GPU_INTERFACE, "State"), "nothing changed");
    }

    @Test
    void a_gpu_that_goes_away_is_unexported() throws Exception {
        BlockingQueue<Properties.PropertiesChanged> seen = new LinkedBlockingQueue<>();
        client.addSigHandler(Properties.PropertiesChanged.class, s -> {
            if (s.getPath().equals(BusNames.MANAGER_PATH)) {
                seen.add(s);
            }
        });
        core.unplug();
        Properties.PropertiesChanged signal = seen.poll(5, TimeUnit.SECONDS);
        assertEquals(List.of("/org/gpupass1/gpu/pci_0000_00_02_0"),
                ((List<?>) signal.getPropertiesChanged().get("Gpus").getValue()).stream()
                        .map(p -> ((DBusPath) p).getPath()).toList());
        String reply = dbusSend(NVIDIA, "org.freedesktop.DBus.Properties.Get", "string:org.gpupass1.Gpu",
                "string:State");
        assertTrue(reply.startsWith("Error org.freedesktop.DBus.Error.UnknownObject: "), reply);
    }

    @Test
    void losing_the_bus_ends_the_service() throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try {
                if (service.awaitEnd() == BusService.End.BUS_LOST) {
                    ended.countDown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        bus.close();
        assertTrue(ended.await(10, TimeUnit.SECONDS));
        assertFalse(waiter.isAlive() && ended.getCount() > 0);
    }

    @Test
    void served_introspection_matches_the_documented_xml() throws Exception {
        for (String[] object : new String[][] {{BusNames.MANAGER_PATH, BusNames.MANAGER_INTERFACE},
                {NVIDIA, BusNames.GPU_INTERFACE}}) {
            String served = client.getRemoteObject(BusNames.BUS_NAME, object[0], Introspectable.class).Introspect();
            String documented;
            try (var in = getClass().getResourceAsStream("/org/gpupass1/" + object[1] + ".xml")) {
                documented = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            var expected = Introspection.members(documented, object[1]);
            assertTrue(expected.size() >= 5, expected.toString());
            assertEquals(expected, Introspection.members(served, object[1]));
            assertTrue(served.contains("org.freedesktop.DBus.Properties")
                    && served.contains("org.freedesktop.DBus.Introspectable")
                    && served.contains("org.freedesktop.DBus.Peer"), served);
        }
    }

    private String busctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("busctl", "--address=" + bus.address()));
        command.addAll(List.of(args));
        return run(command);
    }

    private String dbusSend(String path, String method, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("dbus-send", "--bus=" + bus.address(), "--print-reply",
                "--dest=" + BusNames.BUS_NAME, path, method));
        command.addAll(List.of(args));
        return run(command);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }
}
