package org.gpupass.bus.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.MethodReturn;
import org.freedesktop.dbus.messages.constants.Endian;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's side of a socket pair reads what a stand-in bus sends: the bus's NameAcquired and
 * NameLost signals, then calls; a call the fast path answers never reaches dbus-java and its reply
 * comes back on the socket, read here with dbus-java's own message parsing.
 */
class FastRepliesTest {
    private static final String NAME = "org.gpupass1";
    private static final String UNIQUE = ":1.42";
    private static final String CALLER = ":1.7";
    private static final String BUS = "org.freedesktop.DBus";
    private static final String NVIDIA_PATH = "/org/gpupass1/gpu/pci_0000_01_00_0";
    private static final Object STATUS = List.of(Map.of("State", new Variant<>("host"), "VendorId", new Variant<>(new UInt16(4318))));

    @TempDir
    Path dir;

    private SocketPair socket;
    private SocketChannel busSide;
    private SocketChannel daemonSide;
    private TestWire daemonWire;
    private BufferedMessageReader daemon;
    private BufferedMessageReader bus;
    private GatheringMessageWriter busWriter;
    private FastReplies.Registration registration;
    private final MessageFactory factory = new MessageFactory(Endian.LITTLE);

    @BeforeEach
    void connect() throws Exception {
        socket = SocketPair.open(dir.resolve("s"));
        busSide = socket.client();
        daemonSide = socket.server();
        daemonWire = TestWire.on(daemonSide);
        daemon = daemonWire.reader;
        TestWire busWire = TestWire.on(busSide);
        busWriter = busWire.writer;
        bus = busWire.reader;
        registration = daemonWire.wire.fastReplies().register(NAME, "/org/gpupass1", "org.gpupass1.Manager", "Status", "aa{sv}",
                () -> marshal(STATUS));
    }

    @AfterEach
    void close() throws IOException {
        registration.close();
        socket.close();
    }

    private static byte[] marshal(Object value) {
        try {
            return FastReplies.marshal("aa{sv}", value);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void busSends(Message message) throws Exception {
        busWriter.writeMessage(message);
    }

    private void nameSignal(String member, String name) throws Exception {
        busSends(factory.createSignal(BUS, "/org/freedesktop/DBus", BUS, member, "s", name));
        assertEquals(member, daemonReads().getName(), "signals go on to dbus-java");
    }

    private void owns(String... names) throws Exception {
        for (String name : names) {
            nameSignal("NameAcquired", name);
        }
    }

    /**
     * What the daemon's reader hands to dbus-java for the message just sent: the message, or null when
     * it answered it. The sender wrote the message whole before, so one read(2) takes it in.
     */
    private Message daemonReads() throws Exception {
        return daemon.readMessage();
    }

    private Message call(String destination, String path, String iface, String member, byte flags, String sig,
            Object... args) throws Exception {
        busSends(factory.createMethodCall(CALLER, destination, path, iface, member, flags, sig, args));
        return daemonReads();
    }

    private Message status(String destination) throws Exception {
        return call(destination, "/org/gpupass1", "org.gpupass1.Manager", "Status", (byte) 0, null);
    }

    /** The reply the daemon wrote, or null when there is none. */
    private Message reply() throws Exception {
        busSide.configureBlocking(false);
        try {
            return bus.readMessage();
        } finally {
            busSide.configureBlocking(true);
        }
    }

    @Test
    void statusToTheOwnedNameOrTheUniqueNameIsAnsweredWithThePreparedBody() throws Exception {
        owns(UNIQUE, NAME);
        for (String destination : List.of(NAME, UNIQUE)) {
            assertNull(status(destination), "answered by the reader, not dbus-java");
            Message reply = reply();
            assertInstanceOf(MethodReturn.class, reply);
            assertEquals("aa{sv}", reply.getSig());
            assertEquals(CALLER, reply.getDestination());
            assertArrayEquals(new Object[] {STATUS}, reply.getParameters());
        }
    }

    @Test
    void theReplyNamesTheCallItAnswersAndHasASerialOfItsOwn() throws Exception {
        owns(UNIQUE, NAME);
        MethodCall call = factory.createMethodCall(CALLER, NAME, "/org/gpupass1", null, "Status", (byte) 0, null);
        busSends(call);
        assertNull(daemonReads());
        Message reply = reply();
        assertEquals(call.getSerial(), reply.getReplySerial());
        assertNotEquals(0, reply.getSerial());
        assertNotEquals(call.getSerial(), reply.getSerial());
    }

    @Test
    void nothingIsAnsweredBeforeTheBusSaysTheNameIsOwned() throws Exception {
        owns(UNIQUE);
        assertInstanceOf(MethodCall.class, status(UNIQUE));
        assertInstanceOf(MethodCall.class, status(NAME));
    }

    @Test
    void nothingIsAnsweredAfterTheNameIsLost() throws Exception {
        owns(UNIQUE, NAME);
        nameSignal("NameLost", NAME);
        assertInstanceOf(MethodCall.class, status(NAME));
        assertInstanceOf(MethodCall.class, status(UNIQUE));
    }

    @Test
    void onlyTheBusItselfCanSayANameIsOwned() throws Exception {
        busSends(factory.createSignal(":1.9", "/org/freedesktop/DBus", BUS, "NameAcquired", "s", NAME));
        daemonReads();
        busSends(factory.createSignal(":1.9", "/org/freedesktop/DBus", BUS, "NameAcquired", "s", UNIQUE));
        daemonReads();
        assertInstanceOf(MethodCall.class, status(NAME));
    }

    @Test
    void signalsFromOthersThanTheBusAreDroppedOnceTheWireTakesTheBusOnly() throws Exception {
        busSends(factory.createSignal(":1.9", "/org/freedesktop/DBus", BUS, "NameLost", "s", NAME));
        assertInstanceOf(DBusSignal.class, daemonReads(), "by default, every signal goes on to dbus-java");
        daemonWire.wire.takeSignalsFromTheBusOnly();
        for (int i = 0; i < 100; i++) {
            busSends(factory.createSignal(":1.9", "/org/freedesktop/DBus", BUS, "NameLost", "s", NAME));
            assertNull(daemonReads(), "a forged NameLost is dropped before dbus-java queues it");
        }
        owns(UNIQUE, NAME);
        nameSignal("NameLost", NAME);
        assertInstanceOf(MethodCall.class, status(NAME), "the bus's own NameLost still counts");
    }

    @Test
    void aCallTheDaemonFailsOnIsAnsweredFailedAndTheReaderGoesOn() throws Exception {
        owns(UNIQUE, NAME);
        daemonWire.wire.intercept(call -> {
            throw new IllegalStateException("a bug in the daemon");
        });
        assertNull(call(NAME, "/org/gpupass1", "org.gpupass1.Manager", "Claim", (byte) 0, "ss", "a", "b"));
        Message error = reply();
        assertInstanceOf(org.freedesktop.dbus.messages.Error.class, error);
        assertEquals("org.freedesktop.DBus.Error.Failed", error.getName());
        assertNull(status(NAME), "the next call is served as before");
    }

    @Test
    void otherCallsGoToDbusJava() throws Exception {
        owns(UNIQUE, NAME);
        String manager = "org.gpupass1.Manager";
        assertInstanceOf(MethodCall.class, call(NAME, "/org/gpupass1", manager, "Status", (byte) 0, "s", "x"), "arguments");
        assertInstanceOf(MethodCall.class, call(NAME, "/org/gpupass1", manager, "Claim", (byte) 0, "ss", "a", "b"));
        assertInstanceOf(MethodCall.class, call(NAME, "/org/gpupass1/gpu/pci_0000_01_00_0", manager, "Status", (byte) 0, null));
        assertInstanceOf(MethodCall.class, call(NAME, "/org/gpupass1", "org.gpupass1.Gpu", "Status", (byte) 0, null));
        assertNull(call(NAME, "/org/gpupass1", manager, "Status", Flags.NO_REPLY_EXPECTED, null),
                "no reply wanted: a read that wants none does nothing, and is dropped");
        assertInstanceOf(MethodCall.class, status(":1.43"), "another connection's unique name");
        assertNull(reply(), "no reply was written");
    }

    @Test
    void nothingIsAnsweredOnceTheRegistrationIsClosed() throws Exception {
        owns(UNIQUE, NAME);
        registration.close();
        assertInstanceOf(MethodCall.class, status(NAME));
        registration = daemonWire.wire.fastReplies().register(NAME, "/org/gpupass1", "org.gpupass1.Manager", "Status", "aa{sv}",
                () -> marshal(List.of()));
        assertNull(status(NAME));
        assertArrayEquals(new Object[] {List.of()}, reply().getParameters());
    }

    @Test
    void aSecondRegistrationOfTheSameCallIsRefused() {
        assertThrows(IllegalStateException.class, () -> daemonWire.wire.fastReplies().register(NAME, "/org/gpupass1",
                "org.gpupass1.Manager", "Status", "aa{sv}", () -> new byte[0]));
    }

    @Test
    void aBodyThatCannotBeHadLeavesTheCallToDbusJava() throws Exception {
        registration.close();
        registration = daemonWire.wire.fastReplies().register(NAME, "/org/gpupass1", "org.gpupass1.Manager", "Status", "aa{sv}", () -> {
            throw new IllegalStateException("no");
        });
        owns(UNIQUE, NAME);
        Message handedOn = status(NAME);
        assertInstanceOf(MethodCall.class, handedOn);
        assertNull(reply());
    }

    /** dbus-java queues calls without bound: each connection may have 16 it has not answered, then gets LimitsExceeded. */
    @Test
    void callsHandedToDbusJavaAreBoundedPerConnectionUntilAnswered() throws Exception {
        owns(UNIQUE, NAME);
        List<MethodCall> handed = new java.util.ArrayList<>();
        for (int i = 0; i < DaemonWire.CALLS_PER_CONNECTION; i++) {
            handed.add((MethodCall) call(NAME, NVIDIA_PATH, "org.freedesktop.DBus.Properties", "GetAll", (byte) 0, "s",
                    "org.gpupass1.Gpu"));
        }
        assertNull(reply());
        MethodCall over = factory.createMethodCall(CALLER, NAME, NVIDIA_PATH, "org.freedesktop.DBus.Properties",
                "GetAll", (byte) 0, "s", "org.gpupass1.Gpu");
        busSends(over);
        assertNull(daemonReads(), "not handed on");
        Message refusal = reply();
        assertEquals("org.freedesktop.DBus.Error.LimitsExceeded", refusal.getName());
        assertEquals(over.getSerial(), refusal.getReplySerial());
        // dbus-java answers one: the writer sees the reply go out, and the next call is handed on.
        daemonWire.writer.writeMessage(factory.createMethodReturn(handed.get(0), null));
        assertInstanceOf(MethodCall.class, call(NAME, NVIDIA_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                (byte) 0, "s", "org.gpupass1.Gpu"));
    }
}
