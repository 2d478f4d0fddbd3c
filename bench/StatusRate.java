import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.gpupass1.Manager;

/**
 * Status calls per second from a Java (dbus-java) client: a warm-up, then CLIENTS threads calling
 * Status back to back on one connection for SECONDS; then the CPU time per call of this client and
 * of each NAME=PID given (user + system, from /proc/PID/stat).
 * Run: java -cp target/gpupassd.jar bench/StatusRate.java ADDRESS [CLIENTS] [SECONDS] [NAME=PID...]
 */
public final class StatusRate {
    public static void main(String[] args) throws Exception {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        String address = args[0];
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        String[] processes = new String[Math.max(0, args.length - 3) + 1];
        System.arraycopy(args, Math.min(3, args.length), processes, 0, processes.length - 1);
        processes[processes.length - 1] = "client=self";
        try (DBusConnection conn = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
            Manager manager = conn.getRemoteObject("org.gpupass1", "/org/gpupass1", Manager.class);
            long warm = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warm) {
                manager.Status();
            }
            long[] cpuBefore = new long[processes.length];
            for (int i = 0; i < processes.length; i++) {
                cpuBefore[i] = cpuTicks(processes[i]);
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
            for (int i = 0; i < processes.length; i++) {
                double micros = (cpuTicks(processes[i]) - cpuBefore[i]) * 1e6 / 100 / calls.get();
                System.out.printf("  CPU per call, %-12s %4.0f us%n", processes[i].split("=")[0] + ":", micros);
            }
        }
    }

    /** utime + stime of NAME=PID in clock ticks (USER_HZ, 100 on Linux). */
    private static long cpuTicks(String process) throws Exception {
        String stat = Files.readString(Path.of("/proc", process.split("=")[1], "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
