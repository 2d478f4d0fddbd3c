package org.gpupass.host.linux;

import java.lang.reflect.Constructor;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * A tiny systemd1 stand-in: StopUnit/StartUnit queue a job and announce its end with JobRemoved,
 * GetUnit answers a unit object whose Properties give ActiveState, unknown units are NoSuchUnit.
 */
final class StandInSystemd implements SystemdManager {

    /** How the next jobs of a unit end. */
    enum Ending { DONE, FAILED, SILENT, EARLY, SPOOFED }

    final Map<String, String> activeState = new ConcurrentHashMap<>();
    final Map<String, Ending> endings = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final Set<String> exported = ConcurrentHashMap.newKeySet();
    private final AtomicInteger jobs = new AtomicInteger(100);
    private final DBusConnection conn;
    private final DBusConnection spoofer;
    private final Constructor<? extends RuntimeException> noSuchUnit;

    StandInSystemd(DBusConnection conn, DBusConnection spoofer, Path scratch) throws Exception {
        this.conn = conn;
        this.spoofer = spoofer;
        this.noSuchUnit = compileNoSuchUnit(scratch);
    }

    /** Adds a unit and its object. */
    void unit(String name, String state) throws DBusException {
        activeState.put(name, state);
        if (exported.add(name)) {
            conn.exportObject(unitPath(name), new UnitObject(name));
        }
    }

    static String unitPath(String name) {
        StringBuilder b = new StringBuilder("/org/freedesktop/systemd1/unit/");
        for (char c : name.toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                b.append(c);
            } else {
                b.append('_').append(String.format("%02x", (int) c));
            }
        }
        return b.toString();
    }

    @Override
    public DBusPath StopUnit(String name, String mode) {
        return job("stop", name, mode, "inactive");
    }

    @Override
    public DBusPath StartUnit(String name, String mode) {
        return job("start", name, mode, "active");
    }

    @Override
    public DBusPath GetUnit(String name) {
        calls.add("get " + name);
        if (!activeState.containsKey(name)) {
            throw noSuchUnit(name);
        }
        return new DBusPath(unitPath(name));
    }

    @Override
    public void Subscribe() {
        calls.add("subscribe");
    }

    @Override
    public String getObjectPath() {
        return OBJECT_PATH;
    }

    private DBusPath job(String verb, String name, String mode, String after) {
        calls.add(verb + " " + name + " " + mode);
        if (!activeState.containsKey(name)) {
            throw noSuchUnit(name);
        }
        int id = jobs.incrementAndGet();
        String path = "/org/freedesktop/systemd1/job/" + id;
        Ending ending = endings.getOrDefault(name, Ending.DONE);
        String result = ending == Ending.FAILED ? "failed" : "done";
        if (ending != Ending.FAILED) {
            activeState.put(name, after);
        }
        switch (ending) {
            case EARLY -> send(conn, id, path, name, result); // before the reply leaves
            case SILENT -> { }
            case SPOOFED -> new Thread(() -> {
                pause();
                send(spoofer, id, path, name, "done");
            }).start();
            default -> new Thread(() -> {
                pause();
                send(conn, id, path, name, result);
            }).start();
        }
        return new DBusPath(path);
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(DBusConnection from, int id, String job, String unit, String result) {
        try {
            from.sendMessage(new JobRemoved(OBJECT_PATH, new UInt32(id), new DBusPath(job), unit, result));
        } catch (DBusException e) {
            throw new IllegalStateException(e);
        }
    }

    private RuntimeException noSuchUnit(String name) {
        String text = "Unit " + name + " not loaded.";
        if (noSuchUnit == null) {
            return new DBusExecutionException(text);
        }
        try {
            return noSuchUnit.newInstance(text);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when errors go out as org.freedesktop.systemd1.NoSuchUnit (a compiler was available). */
    boolean realNoSuchUnit() {
        return noSuchUnit != null;
    }

    /**
     * dbus-java names an error after the exception's class, so the stand-in needs a class called
     * {@code org.freedesktop.systemd1.NoSuchUnit}: compiled here, at run time, into a scratch directory.
     */
    @SuppressWarnings("unchecked")
    private static Constructor<? extends RuntimeException> compileNoSuchUnit(Path scratch) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            return null;
        }
        Path src = scratch.resolve("src/org/freedesktop/systemd1/NoSuchUnit.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package org.freedesktop.systemd1;
                public class NoSuchUnit extends org.freedesktop.dbus.exceptions.DBusExecutionException {
                    public NoSuchUnit(String message) { super(message); }
                }
                """, StandardCharsets.UTF_8);
        Path out = scratch.resolve("classes");
        Files.createDirectories(out);
        String dbusJar = Path.of(DBusExecutionException.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        int rc = javac.run(null, null, null, "-cp", dbusJar, "-d", out.toString(), src.toString());
        if (rc != 0) {
            return null;
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()},
                DBusExecutionException.class.getClassLoader());
        Class<? extends RuntimeException> c = (Class<? extends RuntimeException>) loader.loadClass(
                "org.freedesktop.systemd1.NoSuchUnit");
        return c.getConstructor(String.class);
    }

    /** A unit object: only Properties.Get of org.freedesktop.systemd1.Unit.ActiveState. */
    final class UnitObject implements Properties {
        private final String name;

        UnitObject(String name) {
            this.name = name;
        }

        @SuppressWarnings("unchecked")
        @Override
        public <A> A Get(String iface, String property) {
            if (UNIT_INTERFACE.equals(iface) && "ActiveState".equals(property)) {
                return (A) activeState.get(name);
            }
            throw new DBusExecutionException("no property " + iface + "." + property);
        }

        @Override
        public <A> void Set(String iface, String property, A value) {
            throw new DBusExecutionException("read-only");
        }

        @Override
        public Map<String, Variant<?>> GetAll(String iface) {
            return Map.of("ActiveState", new Variant<>(activeState.get(name)));
        }

        @Override
        public String getObjectPath() {
            return unitPath(name);
        }
    }
}
