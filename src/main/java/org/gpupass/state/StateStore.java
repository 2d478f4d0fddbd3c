package org.gpupass.state;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.gpupass.host.Framebuffer;
import org.gpupass.model.Holders;
import org.gpupass.model.PciAddress;
import org.gpupass.model.Printable;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.Intent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state directory: {@code claims/<gpu>.claim} per claim, {@code intent} while a transition
 * runs, {@code stuck/<gpu>} for GPUs fenced after a hung write, and {@code transition.lock}.
 * A file that cannot be read back (corrupt, not UTF-8, larger than {@link KeyValueFile#MAX_BYTES},
 * or not a regular file: a directory, FIFO, device or symbolic link, never followed) is moved aside
 * ({@code *.corrupt-<seconds>}) with a log line, and the state is rebuilt from sysfs; it never stops
 * or holds up the daemon.
 *
 * <p>Not final: the unit tests put a full disk under it by overriding a write.
 */
public class StateStore {
    private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.@:\\\\-]+");
    private static final String FORMAT = "1";
    /** A platform device or driver name: no {@code /}, never {@code .} or {@code ..}. */
    private static final Pattern FRAMEBUFFER_PART = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]*");

    private final Path dir;
    private final Path claims;
    private final Path stuck;

    public StateStore(Path dir) throws IOException {
        this.dir = dir;
        this.claims = dir.resolve("claims");
        this.stuck = dir.resolve("stuck");
        Files.createDirectories(dir);
        requireDirectory(claims);
        requireDirectory(stuck);
        // Opening a FIFO to lock it would block; a link would lock whatever it points to.
        BasicFileAttributes lock = attributes(lockFile());
        if (lock != null && !lock.isRegularFile()) {
            moveAside(lockFile(), new IOException("not a regular file but " + KeyValueFile.kindOf(lock)));
        }
    }

    /** {@code claims/} or {@code stuck/}: a directory of its own; anything else there is moved aside. */
    private static void requireDirectory(Path path) throws IOException {
        BasicFileAttributes found = attributes(path);
        if (found != null && !found.isDirectory()) {
            moveAside(path, new IOException("not a directory but " + (found.isRegularFile() ? "a regular file"
                    : KeyValueFile.kindOf(found))));
        }
        Files.createDirectories(path);
    }

    /** The path's own attributes (a link is not followed), null when there is nothing. */
    private static BasicFileAttributes attributes(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    public Path lockFile() {
        return dir.resolve("transition.lock");
    }

    public Map<PciAddress, ClaimRecord> loadClaims() throws IOException {
        Map<PciAddress, ClaimRecord> result = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(claims, "*.claim")) {
            for (Path file : files) {
                try {
                    ClaimRecord claim = decodeClaim(KeyValueFile.read(file));
                    if (!file.getFileName().toString().equals(fileName(claim.gpu()))) {
                        throw new IOException("names " + claim.gpu() + " but is named " + file.getFileName());
                    }
                    result.put(claim.gpu(), claim);
                } catch (IOException | RuntimeException e) {
                    moveAside(file, e);
                }
            }
        }
        return result;
    }

    public void saveClaim(ClaimRecord claim) throws IOException {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("format", FORMAT);
        v.put("gpu", claim.gpu().toString());
        v.put("holder", claim.holder());
        v.put("since", Long.toString(claim.sinceMicros()));
        putDrivers(v, claim.hostDrivers());
        v.put("units_to_restore", KeyValueFile.list(claim.unitsToRestore()));
        v.put("unloaded_modules", KeyValueFile.list(claim.unloadedModules()));
        v.put("unbound_consoles", KeyValueFile.list(claim.unboundConsoles()));
        v.put("unbound_framebuffers", framebufferList(claim.unboundFramebuffers()));
        KeyValueFile.writeAtomically(claims.resolve(fileName(claim.gpu())), v);
    }

    public void deleteClaim(PciAddress gpu) throws IOException {
        KeyValueFile.deleteDurably(claims.resolve(fileName(gpu)));
    }

    public Optional<Intent> loadIntent() {
        Path file = dir.resolve("intent");
        try {
            return Optional.of(decodeIntent(KeyValueFile.read(file)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            moveAside(file, e);
            return Optional.empty();
        }
    }

    /** Both operations in one format (format=1): the same keys a release intent always had. */
    public void writeIntent(Intent intent) throws IOException {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("format", FORMAT);
        v.put("operation", intent.operation().word());
        v.put("gpu", intent.gpu().toString());
        v.put("holder", intent.holder());
        v.put("functions", KeyValueFile.list(intent.functions()));
        if (intent instanceof Intent.Claiming c) {
            putDrivers(v, c.driversBefore());
            v.put("units_stopped", KeyValueFile.list(c.unitsStopped()));
            v.put("units_to_restore", KeyValueFile.list(c.unitsToRestore()));
            v.put("modules", KeyValueFile.list(c.unloadedModules()));
            v.put("started", Long.toString(c.startedMicros()));
            v.put("consoles", KeyValueFile.list(c.unboundConsoles()));
            v.put("framebuffers", framebufferList(c.unboundFramebuffers()));
        } else {
            Intent.Releasing r = (Intent.Releasing) intent;
            putDrivers(v, r.hostDrivers());
            // A release keeps the units to start again where a claim keeps the units it stops.
            v.put("units_stopped", KeyValueFile.list(r.unitsToRestore()));
            v.put("units_to_restore", "");
            v.put("modules", KeyValueFile.list(r.unloadedModules()));
            v.put("started", Long.toString(r.startedMicros()));
            v.put("consoles", KeyValueFile.list(r.unboundConsoles()));
            v.put("framebuffers", framebufferList(r.unboundFramebuffers()));
        }
        KeyValueFile.writeAtomically(dir.resolve("intent"), v);
    }

    public void clearIntent() throws IOException {
        KeyValueFile.deleteDurably(dir.resolve("intent"));
    }

    /** Fences a GPU whose kernel write hung; survives restarts until sysfs shows it settled. */
    public void markStuck(PciAddress gpu, String what) throws IOException {
        KeyValueFile.writeAtomically(stuck.resolve(gpu.nodedevName()), Map.of("write", what.replace('\n', ' ')));
    }

    public List<PciAddress> stuckGpus() throws IOException {
        List<PciAddress> result = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(stuck)) {
            for (Path f : files) {
                PciAddress a = fromNodedev(f.getFileName().toString());
                if (a != null) {
                    result.add(a);
                }
            }
        }
        return result;
    }

    public void clearStuck(PciAddress gpu) throws IOException {
        KeyValueFile.deleteDurably(stuck.resolve(gpu.nodedevName()));
    }

    private static String fileName(PciAddress gpu) {
        return gpu.nodedevName() + ".claim";
    }

    private static PciAddress fromNodedev(String name) {
        String[] p = name.split("_");
        return p.length == 5 && p[0].equals("pci") ? PciAddress.tryParse(p[1] + ":" + p[2] + ":" + p[3] + "." + p[4])
                : null;
    }

    /** Renames it (a link itself, never its target) to {@code NAME.corrupt-SECONDS}, or {@code ...-SECONDS.N} if taken. */
    private static void moveAside(Path file, Exception why) {
        String base = file.getFileName() + ".corrupt-" + System.currentTimeMillis() / 1000;
        Path aside = file.resolveSibling(base);
        try {
            for (int n = 1; ; n++) {
                try {
                    Files.move(file, aside, LinkOption.NOFOLLOW_LINKS);
                    break;
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (n == 100) {
                        throw taken;
                    }
                    aside = file.resolveSibling(base + "." + n);
                }
            }
            LOG.warn("state file {} is unreadable ({}); moved to {}, state is rebuilt from sysfs", file,
                    why.getMessage(), aside.getFileName());
        } catch (IOException e) {
            LOG.warn("state file {} is unreadable ({}) and could not be moved aside: {}", file, why.getMessage(),
                    e.getMessage());
        }
    }

    private static void putDrivers(Map<String, String> v, Map<PciAddress, String> drivers) {
        new TreeMap<>(drivers).forEach((fn, drv) -> v.put("driver." + fn, drv));
    }

    private static ClaimRecord decodeClaim(Map<String, String> v) throws IOException {
        checkFormat(v);
        return new ClaimRecord(address(v, "gpu"), holder(v), number(v, "since"), drivers(v),
                names(v, "units_to_restore"), names(v, "unloaded_modules"), optionalNames(v, "unbound_consoles"),
                framebuffers(v, "unbound_framebuffers"));
    }

    private static Intent decodeIntent(Map<String, String> v) throws IOException {
        checkFormat(v);
        Intent.Operation op = Intent.Operation.of(required(v, "operation"));
        if (op == null) {
            throw new IOException("unknown operation " + v.get("operation"));
        }
        List<PciAddress> functions = new ArrayList<>();
        for (String f : KeyValueFile.splitList(required(v, "functions"))) {
            functions.add(parseAddress(f));
        }
        if (functions.isEmpty()) {
            throw new IOException("no functions");
        }
        PciAddress gpu = address(v, "gpu");
        if (op == Intent.Operation.CLAIM) {
            return new Intent.Claiming(gpu, holder(v), functions, drivers(v), names(v, "units_stopped"),
                    names(v, "units_to_restore"), names(v, "modules"), optionalNames(v, "consoles"),
                    framebuffers(v, "framebuffers"), number(v, "started"));
        }
        names(v, "units_to_restore"); // present (and empty) in every release intent written
        return new Intent.Releasing(gpu, holder(v), functions, drivers(v), names(v, "units_stopped"),
                names(v, "modules"), optionalNames(v, "consoles"), framebuffers(v, "framebuffers"),
                number(v, "started"));
    }

    private static void checkFormat(Map<String, String> v) throws IOException {
        if (!FORMAT.equals(v.get("format"))) {
            throw new IOException("unknown format " + v.get("format"));
        }
    }

    private static String required(Map<String, String> v, String key) throws IOException {
        String value = v.get(key);
        if (value == null) {
            throw new IOException("missing " + key);
        }
        return value;
    }

    private static PciAddress address(Map<String, String> v, String key) throws IOException {
        return parseAddress(required(v, key));
    }

    private static PciAddress parseAddress(String text) throws IOException {
        PciAddress a = PciAddress.tryParse(text);
        if (a == null) {
            throw new IOException("bad address " + Printable.clip(text));
        }
        return a;
    }

    private static String holder(Map<String, String> v) throws IOException {
        String h = required(v, "holder");
        if (!h.isEmpty() && !Holders.wellFormed(h)) {
            throw new IOException("bad holder");
        }
        return h;
    }

    private static long number(Map<String, String> v, String key) throws IOException {
        try {
            return Long.parseLong(required(v, key));
        } catch (NumberFormatException e) {
            throw new IOException("bad " + key);
        }
    }

    private static Map<PciAddress, String> drivers(Map<String, String> v) throws IOException {
        Map<PciAddress, String> drivers = new TreeMap<>();
        for (Map.Entry<String, String> e : v.entrySet()) {
            if (e.getKey().startsWith("driver.")) {
                String drv = e.getValue();
                if (!NAME.matcher(drv).matches()) {
                    throw new IOException("bad driver name for " + e.getKey());
                }
                drivers.put(parseAddress(e.getKey().substring("driver.".length())), drv);
            }
        }
        return drivers;
    }

    /** A list key added after format 1 was first written: absent means empty, so older files still load. */
    private static List<String> optionalNames(Map<String, String> v, String key) throws IOException {
        return v.containsKey(key) ? names(v, key) : List.of();
    }

    /** {@code DEVICE:DRIVER} items, e.g. {@code efi-framebuffer.0:efi-framebuffer}. */
    private static String framebufferList(List<Framebuffer> framebuffers) {
        return KeyValueFile.list(framebuffers.stream().map(f -> f.device() + ":" + f.driver()).toList());
    }

    /** An optional {@code DEVICE:DRIVER} list; absent means empty. */
    private static List<Framebuffer> framebuffers(Map<String, String> v, String key) throws IOException {
        List<Framebuffer> out = new ArrayList<>();
        for (String item : optionalNames(v, key)) {
            String[] p = item.split(":", -1);
            if (p.length != 2 || !FRAMEBUFFER_PART.matcher(p[0]).matches()
                    || !FRAMEBUFFER_PART.matcher(p[1]).matches()) {
                throw new IOException("bad framebuffer in " + key);
            }
            out.add(new Framebuffer(p[0], p[1]));
        }
        return out;
    }

    private static List<String> names(Map<String, String> v, String key) throws IOException {
        List<String> items = KeyValueFile.splitList(required(v, key));
        for (String item : items) {
            if (!NAME.matcher(item).matches()) {
                throw new IOException("bad name in " + key);
            }
        }
        return items;
    }
}
