package org.gpupass.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.types.Variant;
import org.gpupass.core.ErrorKind;
import org.gpupass1.Error;
import org.gpupass1.Manager;

/**
 * gpupassctl: the org.gpupass1 API for people. Exit codes: 0 done; 1 other failure (e.g. no bus);
 * 2 usage; 3..16 the spec's errors (see {@link #exitCode}); 17 the daemon is not running.
 */
public final class Gpupassctl {
    static final String USAGE = """
            Usage: gpupassctl [--bus=ADDRESS] [--timeout=SECONDS] COMMAND
              status [--json]          the GPUs, their state and holder (--json: the Gpu properties)
              claim DEVICE HOLDER      bind the GPU (and all its functions) to vfio-pci for HOLDER;
                                       DEVICE is e.g. 01:00.0 or 0000:01:00.0, or "" for the one claimable GPU
              release DEVICE [HOLDER]  give it back to its host drivers; without HOLDER, whoever holds it
              monitor                  print state changes and failures as they happen, one line each
              doctor [--json]          is this machine ready for passthrough? (offline; see doctor --help)
              hostdev-xml DEVICE       <hostdev managed='no'> elements for every function of a GPU (offline)
              --bus=ADDRESS            a bus other than the system bus, e.g. unix:path=/tmp/demo/bus
              --timeout=SECONDS        how long claim and release may take (default 300)
              --help, --version

            Exit codes: 0 ok, 1 other failure, 2 usage, 3 InvalidArgument, 4 NoSuchDevice, 5 Ambiguous,
              6 AlreadyClaimed, 7 NotHolder, 8 IommuDisabled, 9 IommuGroupUnsafe, 10 BootDisplay, 11 InUse,
              12 ManagedHostdev, 13 Busy, 14 Stuck, 15 TransitionFailed, 16 AccessDenied,
              17 gpupassd is not running
            """;
    private static final List<String> OFFLINE = List.of("doctor", "hostdev-xml");
    static final String BUS_NAME = "org.gpupass1";
    static final String MANAGER_PATH = "/org/gpupass1";

    private final PrintStream out;
    private final PrintStream err;

    public Gpupassctl(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // Keep startup lean and output clean: no logging framework for a one-shot client.
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        System.exit(new Gpupassctl(System.out, System.err).run(args));
    }

    /** Runs one command line; returns the exit code. */
    public int run(String... args) {
        // The offline commands read the host themselves and take their own options.
        int first = 0;
        while (first < args.length && args[first].startsWith("--") && !args[first].equals("--help")
                && !args[first].equals("--version")) {
            first++;
        }
        if (first < args.length && OFFLINE.contains(args[first])) {
            List<String> rest = List.of(args).subList(first + 1, args.length);
            return args[first].equals("doctor") ? Doctor.run(rest, out, err) : HostdevXml.run(rest, out, err);
        }
        String bus = null;
        long timeoutMs = 300_000;
        List<String> words = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("--bus=")) {
                bus = arg.substring(6);
            } else if (arg.startsWith("--timeout=")) {
                try {
                    timeoutMs = Math.round(Double.parseDouble(arg.substring(10)) * 1000);
                } catch (NumberFormatException e) {
                    return usage("--timeout needs a number of seconds");
                }
            } else if (arg.equals("--help") || arg.equals("-h")) {
                out.print(USAGE);
                return 0;
            } else if (arg.equals("--version")) {
                String v = Gpupassctl.class.getPackage().getImplementationVersion();
                out.println("gpupassctl " + (v == null ? "dev" : v));
                return 0;
            } else if (arg.startsWith("--") && !arg.equals("--json")) {
                return usage("unknown option: " + arg);
            } else {
                words.add(arg);
            }
        }
        if (words.isEmpty()) {
            return usage("no command given");
        }
        String command = words.get(0);
        List<String> rest = words.subList(1, words.size());
        int arity = switch (command) {
            case "status" -> rest.equals(List.of()) || rest.equals(List.of("--json")) ? 0 : -1;
            case "claim" -> rest.size() == 2 ? 0 : -1;
            case "release" -> rest.size() == 1 || rest.size() == 2 ? 0 : -1;
            case "monitor" -> rest.isEmpty() ? 0 : -1;
            default -> -2;
        };
        if (arity == -2) {
            return usage("unknown command: " + command);
        }
        if (arity < 0) {
            return usage("wrong arguments for " + command);
        }
        MethodCall.setDefaultTimeout(timeoutMs);
        try (DBusConnection conn = (bus == null ? DBusConnectionBuilder.forSystemBus()
                : DBusConnectionBuilder.forAddress(bus)).withShared(false).build()) {
            Manager manager = conn.getRemoteObject(BUS_NAME, MANAGER_PATH, Manager.class);
            return switch (command) {
                case "status" -> status(manager, rest.contains("--json"));
                case "claim" -> claim(conn, manager, rest.get(0), rest.get(1));
                case "release" -> release(manager, rest.get(0), rest.size() > 1 ? rest.get(1) : "");
                default -> monitor(conn);
            };
        } catch (DBusExecutionException e) {
            return fail(e);
        } catch (DBusException | java.io.IOException e) {
            err.println("gpupassctl: cannot reach the bus" + (bus == null ? "" : " " + bus) + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private int status(Manager manager, boolean json) {
        List<Map<String, Variant<?>>> gpus = manager.Status();
        if (json) {
            out.println(Json.of(gpus));
            return 0;
        }
        out.printf("%-12s %-8s %-10s %-12s %-10s %s%n", "ADDRESS", "STATE", "DRIVER", "HOLDER", "CLAIMABLE", "NAME");
        for (Map<String, Variant<?>> gpu : gpus) {
            out.printf("%-12s %-8s %-10s %-12s %-10s %s%n", value(gpu, "Address"), value(gpu, "State"),
                    dash(value(gpu, "Driver")), dash(value(gpu, "Holder")),
                    Boolean.TRUE.equals(gpu.get("Claimable").getValue()) ? "yes" : "no", value(gpu, "Name"));
            Object blockers = gpu.get("Blockers").getValue();
            if (blockers instanceof List<?> list) {
                list.forEach(b -> out.println("             ! " + b));
            }
        }
        return 0;
    }

    private int claim(DBusConnection conn, Manager manager, String device, String holder) throws DBusException {
        DBusPath gpu = manager.Claim(device, holder);
        Properties props = conn.getRemoteObject(BUS_NAME, gpu.getPath(), Properties.class);
        out.println(props.Get("org.gpupass1.Gpu", "Address") + " is on " + props.Get("org.gpupass1.Gpu", "Driver")
                + " for " + holder);
        return 0;
    }

    private int release(Manager manager, String device, String holder) {
        manager.Release(device, holder);
        out.println(device + " released" + (holder.isEmpty() ? "" : " by " + holder));
        return 0;
    }

    private int monitor(DBusConnection conn) throws DBusException, InterruptedException {
        conn.addSigHandler(Manager.StateChanged.class, s -> line(s.address() + " " + s.oldState() + " -> "
                + s.newState() + (s.holder().isEmpty() ? "" : " (" + s.holder() + ")")));
        conn.addSigHandler(Manager.TransitionFailed.class, s -> line(s.address() + " failed: "
                + s.error().substring(s.error().lastIndexOf('.') + 1) + ": " + s.message()));
        conn.addSigHandler(Properties.PropertiesChanged.class, s -> {
            Variant<?> t = s.getPropertiesChanged().get("Transition");
            if (MANAGER_PATH.equals(s.getPath()) && t != null && !"".equals(t.getValue())) {
                line("transition: " + t.getValue());
            }
        });
        err.println("Watching " + BUS_NAME + "; Ctrl-C to stop.");
        new CountDownLatch(1).await();
        return 0;
    }

    private synchronized void line(String text) {
        out.println(java.time.LocalTime.now().withNano(0) + " " + text);
        out.flush();
    }

    private int fail(DBusExecutionException e) {
        String name = Error.nameOf(e.getClass());
        String message = e.getMessage() == null || e.getMessage().isBlank() ? name : e.getMessage();
        int code = exitCode(name);
        if (code == 17) {
            message = "gpupassd is not running on this bus (" + message + ")";
        }
        err.println("gpupassctl: " + message);
        return code;
    }

    /** The documented exit code for a D-Bus error name. */
    static int exitCode(String dbusName) {
        ErrorKind kind = Error.kindOf(dbusName);
        if (kind != null) {
            return switch (kind) {
                case INVALID_ARGUMENT -> 3;
                case NO_SUCH_DEVICE -> 4;
                case AMBIGUOUS -> 5;
                case ALREADY_CLAIMED -> 6;
                case NOT_HOLDER -> 7;
                case IOMMU_DISABLED -> 8;
                case IOMMU_GROUP_UNSAFE -> 9;
                case BOOT_DISPLAY -> 10;
                case IN_USE -> 11;
                case MANAGED_HOSTDEV -> 12;
                case BUSY -> 13;
                case STUCK -> 14;
                case TRANSITION_FAILED -> 15;
                case ACCESS_DENIED -> 16;
            };
        }
        return dbusName.endsWith(".ServiceUnknown") || dbusName.endsWith(".NameHasNoOwner") ? 17 : 1;
    }

    private int usage(String problem) {
        err.println("gpupassctl: " + problem + "\n\n" + USAGE);
        return 2;
    }

    private static String value(Map<String, Variant<?>> gpu, String key) {
        Variant<?> v = gpu.get(key);
        return v == null ? "" : String.valueOf(v.getValue());
    }

    private static String dash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
