package org.gpupass;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.gpupass.bus.BusService;
import org.gpupass.config.Config;
import org.gpupass.core.GpuManager;
import org.gpupass.host.Host;
import org.gpupass.systemd.SdNotify;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** gpupassd: the core on the bus, until SIGTERM (exit 0) or the bus goes away (exit 1). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        DaemonOptions options;
        try {
            options = DaemonOptions.parse(args);
        } catch (DaemonOptions.UsageException e) {
            System.err.println("gpupassd: " + e.getMessage() + "\n\n" + DaemonOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help() || options.version()) {
            System.out.print(options.help() ? DaemonOptions.USAGE : "gpupassd " + version() + "\n");
            return;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        Config config;
        try {
            config = Config.load(options.config());
        } catch (Exception e) {
            System.err.println("gpupassd: bad configuration: " + e.getMessage());
            System.exit(78); // EX_CONFIG; systemd shows it as "exit-code"
            return;
        }
        boolean simulated = options.simulate() != null;
        int code;
        Path stateDir = null;
        try {
            Callable<Host> host = () -> simulated ? Hosts.simulated(options.simulate()).host() : Hosts.real(options.sysfsRoot());
            stateDir = options.stateDir() != null ? options.stateDir()
                    : simulated ? Hosts.simulatedStateDir() : Path.of("/var/lib/gpupassd");
            code = serve(options, host, config, stateDir, log);
        } catch (Exception e) {
            log.error("Cannot start: {}", e.getMessage(), log.isDebugEnabled() ? e : null);
            code = 1;
        } finally {
            if (simulated && options.stateDir() == null && stateDir != null) {
                try (var files = Files.walk(stateDir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
        System.exit(code);
    }

    /**
     * Runs until told to stop (0) or the bus is lost (1). Connecting to the bus overlaps with making
     * the host port; the state directory is opened only once the bus has said that no other instance
     * owns the name (a second daemon on the same bus would share it); the name is requested only once
     * the objects are exported.
     */
    private static int serve(DaemonOptions options, Callable<Host> hostFactory, Config config, Path stateDir,
                             Logger log) throws Exception {
        CompletableFuture<BusService> connecting = new CompletableFuture<>();
        new Thread(() -> {
            try {
                connecting.complete(BusService.connect(options.bus(), SdNotify.fromEnvironment()));
            } catch (Exception | LinkageError e) {
                connecting.completeExceptionally(e);
            }
        }, "bus-connect").start();
        try {
            Host host = hostFactory.call();
            BusService connected = connected(connecting);
            try (GpuManager core = GpuManager.open(host, config, stateDir, version()); BusService bus = connected) {
                return run(options, core, bus, stateDir, log);
            }
        } catch (Exception e) {
            connecting.thenAccept(BusService::close);
            throw e;
        }
    }

    private static int run(DaemonOptions options, GpuManager core, BusService bus, Path stateDir, Logger log)
            throws Exception {
        bus.serve(core);
        Signal.handle(new Signal("TERM"), s -> bus.finish(BusService.End.STOPPED));
        Signal.handle(new Signal("INT"), s -> bus.finish(BusService.End.STOPPED));
        log.info("gpupassd {} serving {} on {} (state in {})", version(), options.simulate() != null
                ? "the simulated host " + (options.simulate().isEmpty() ? "dual-gpu" : options.simulate())
                : "sysfs under " + options.sysfsRoot(),
                options.bus() == null ? "the system bus" : options.bus(), stateDir);
        BusService.End end = bus.awaitEnd();
        log.info(end == BusService.End.STOPPED ? "Stopping" : "Exiting so that systemd restarts the daemon");
        return end == BusService.End.STOPPED ? 0 : 1;
    }

    private static BusService connected(CompletableFuture<BusService> connecting) throws Exception {
        try {
            return connecting.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
