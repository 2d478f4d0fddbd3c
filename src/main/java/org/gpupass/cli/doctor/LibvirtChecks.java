package org.gpupass.cli.doctor;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.model.GpuPassException;
import org.gpupass.libvirt.Hostdev;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;

/** Checks 7 and 8: the gpupassd hook, and the domains' GPU hostdevs. Read-only. */
public final class LibvirtChecks {
    static final String HOOK_D = "/etc/libvirt/hooks/qemu.d/gpupassd";
    static final String HOOK_QEMU = "/etc/libvirt/hooks/qemu";
    static final String DOMAINS = "/etc/libvirt/qemu";

    private final Function<String, Path> under;

    public LibvirtChecks(Function<String, Path> under) {
        this.under = under;
    }

    // ------------------------------------------------------------------ 7. the hook

    public Check hook() {
        String name = "libvirt-hook";
        String restart = "; then restart libvirtd (or virtqemud): libvirt finds hooks when it starts";
        Path d = under.apply(HOOK_D);
        if (Files.exists(d)) {
            if (!Files.isRegularFile(d)) {
                return Check.fail(name, HOOK_D + " is not a regular file", "install the gpupassd hook there" + restart);
            }
            return executable(d) ? Check.ok(name, HOOK_D + " installed, executable")
                    : Check.fail(name, HOOK_D + " is not executable: libvirt skips it and VMs start without their GPU",
                            "sudo chmod 755 " + HOOK_D + restart);
        }
        Path q = under.apply(HOOK_QEMU);
        if (Files.isRegularFile(q)) {
            HostFile f = HostFile.read(q, 1 << 20);
            if (!f.present()) {
                return Check.warn(name, "cannot read " + HOOK_QEMU + " (" + SystemChecks.why(f) + ")",
                        "run as root to check it");
            }
            if (f.text().contains("gpupassd") || f.text().contains("org.gpupass1")) {
                return executable(q) ? Check.ok(name, HOOK_QEMU + " calls gpupassd, executable")
                        : Check.fail(name, HOOK_QEMU + " calls gpupassd but is not executable: libvirt skips it",
                                "sudo chmod 755 " + HOOK_QEMU + restart);
            }
            return Check.warn(name, HOOK_QEMU + " exists but does not call gpupassd; no " + HOOK_D,
                    "install the gpupassd hook as " + HOOK_D + " (libvirt >= 6.5 runs qemu.d/* besides qemu)" + restart);
        }
        if (!Files.isDirectory(under.apply("/etc/libvirt"))) {
            return Check.warn(name, "no /etc/libvirt: libvirt is not installed",
                    "install libvirt, then the gpupassd hook as " + HOOK_D);
        }
        return Check.warn(name, "no gpupassd hook (" + HOOK_D + " or " + HOOK_QEMU
                        + "): VMs will not claim their GPU when they start",
                "install the hook as " + HOOK_D + " (make install does)" + restart
                        + "; or claim by hand with gpupassctl claim before starting the VM");
    }

    /** libvirtd runs hooks as root: any execute bit will do. */
    private static boolean executable(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            return perms.contains(PosixFilePermission.OWNER_EXECUTE) || perms.contains(PosixFilePermission.GROUP_EXECUTE)
                    || perms.contains(PosixFilePermission.OTHERS_EXECUTE);
        } catch (IOException | UnsupportedOperationException e) {
            return Files.isExecutable(p);
        }
    }

    // ------------------------------------------------------------------ 8. domains

    /** What one domain passes through of one GPU. */
    record GpuUse(PciDevice gpu, List<PciAddress> passed, List<PciAddress> managed, List<PciAddress> missing) {
    }

    /**
     * @param gpus every GPU the config manages, with its functions (GPU first)
     */
    public Check domains(Map<PciDevice, List<PciDevice>> gpus) {
        String name = "libvirt-domains";
        Path dir = under.apply(DOMAINS);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.xml")) {
            entries.forEach(files::add);
        } catch (NoSuchFileException e) {
            return Check.info(name, "no " + DOMAINS + ": no system libvirt domains");
        } catch (AccessDeniedException e) {
            return Check.warn(name, "cannot read " + DOMAINS + " (permission denied)",
                    "run as root (sudo gpupassctl doctor) to check the domains for managed='yes'");
        } catch (IOException | RuntimeException e) {
            return Check.warn(name, "cannot read " + DOMAINS + " (" + Check.oneLine(e.getMessage()) + ")", "");
        }
        files.sort(null);
        Map<PciAddress, PciDevice> gpuOf = new LinkedHashMap<>();
        gpus.forEach((gpu, fns) -> fns.forEach(f -> gpuOf.put(f.address(), gpu)));

        List<String> fails = new ArrayList<>();
        List<String> unread = new ArrayList<>();
        List<String> warns = new ArrayList<>();
        List<String> oks = new ArrayList<>();
        int withoutGpu = 0;
        for (Path file : files) {
            String domain = Check.oneLine(file.getFileName().toString().replaceFirst("\\.xml$", ""));
            HostFile f = HostFile.read(file, DomainXml.MAX_BYTES + 1);
            if (!f.present()) {
                unread.add(domain + ": cannot read (" + SystemChecks.why(f) + ")");
                continue;
            }
            List<Hostdev> hostdevs;
            try {
                hostdevs = DomainXml.pciHostdevs(f.text());
            } catch (GpuPassException e) {
                unread.add(domain + ": " + Check.oneLine(e.getMessage()));
                continue;
            }
            Map<PciDevice, GpuUse> uses = new LinkedHashMap<>();
            for (Hostdev h : hostdevs) {
                PciDevice gpu = gpuOf.get(h.address());
                if (gpu == null) {
                    continue;
                }
                GpuUse use = uses.computeIfAbsent(gpu, g -> new GpuUse(g, new ArrayList<>(), new ArrayList<>(),
                        new ArrayList<>()));
                if (!use.passed().contains(h.address())) {
                    use.passed().add(h.address());
                }
                if (h.managed() && !use.managed().contains(h.address())) {
                    use.managed().add(h.address());
                }
            }
            if (uses.isEmpty()) {
                withoutGpu++;
                continue;
            }
            for (GpuUse use : uses.values()) {
                for (PciDevice fn : gpus.get(use.gpu())) {
                    if (!use.passed().contains(fn.address())) {
                        use.missing().add(fn.address());
                    }
                }
                if (!use.managed().isEmpty()) {
                    fails.add(domain + ": managed='yes' on " + join(use.managed()));
                }
                if (!use.missing().isEmpty()) {
                    warns.add(domain + ": passes " + join(use.passed()) + " but not " + join(use.missing())
                            + " of GPU " + use.gpu().address());
                }
                if (use.managed().isEmpty() && use.missing().isEmpty()) {
                    oks.add(domain + ": GPU " + use.gpu().address() + " (" + use.passed().size() + " function"
                            + (use.passed().size() == 1 ? "" : "s") + ", managed='no')");
                }
            }
        }
        List<String> all = new ArrayList<>(fails);
        all.addAll(unread);
        all.addAll(warns);
        all.addAll(oks);
        String tail = withoutGpu == 0 ? "" : (all.isEmpty() ? "" : "; ") + withoutGpu + " domain"
                + (withoutGpu == 1 ? "" : "s") + " without a GPU";
        String evidence = String.join("; ", all) + tail;
        if (!fails.isEmpty()) {
            return Check.fail(name, evidence, "set managed='no' on those hostdevs (virsh edit DOMAIN; gpupassctl "
                    + "hostdev-xml ADDRESS prints them): with managed='yes' libvirt detaches the GPU itself (virsh "
                    + "nodedev-detach), racing gpupassd, and hangs; gpupassd refuses such a domain (ManagedHostdev)");
        }
        String unreadAdvice = "check the domain files named (as root: they are libvirt's own)";
        if (!warns.isEmpty()) {
            return Check.warn(name, evidence, "pass every function of the GPU (gpupassctl hostdev-xml ADDRESS prints "
                    + "them all): gpupassd moves them together and a function left out stays unused"
                    + (unread.isEmpty() ? "" : "; " + unreadAdvice));
        }
        if (!unread.isEmpty()) {
            return Check.warn(name, evidence, unreadAdvice);
        }
        if (!oks.isEmpty()) {
            return Check.ok(name, evidence);
        }
        return Check.info(name, files.isEmpty() ? "no domains in " + DOMAINS
                : files.size() + " domain" + (files.size() == 1 ? "" : "s") + " in " + DOMAINS + ", none with a GPU hostdev");
    }

    private static String join(List<PciAddress> addresses) {
        return String.join(", ", addresses.stream().map(PciAddress::toString).toList());
    }
}
