import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.gpupass1.Manager;

/**
 * Status calls per second from a Java (dbus-java) client: a warm-up, then CLIENTS threads calling
 * Status back to back for SECONDS. Run: java -cp target/gpupassd.jar bench/StatusRate.java ADDRESS [CLIENTS] [SECONDS]
 */
public final class StatusRate {
    public static void main(String[] args) throws Exception {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        String address = args[0];
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        try (DBusConnection conn = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
            Manager manager = conn.getRemoteObject("org.gpupass1", "/org/gpupass1", Manager.class);
            long warm = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warm) {
                manager.Status();
            }
            AtomicLong calls = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            Thread[] threads = new Thread[clients];
            for (int i = 0; i < clients; i++) {
                threads[i] = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        manager.Status();
                        calls.incrementAndGet();
                    }
                });
                threads[i].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            System.out.printf("Status from a Java client: %,d calls/s (%d client threads, %d s; target >= 5,000/s)%n",
                    calls.get() / seconds, clients, seconds);
        }
    }
}
