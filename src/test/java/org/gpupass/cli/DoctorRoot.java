package org.gpupass.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A fake host root for the doctor: /proc, /sys/firmware, /lib/modules, /etc/libvirt and
 * /usr/share laid out as on a Fedora desktop. {@link #good()} passes every check; tests then take
 * one thing away or change it.
 */
final class DoctorRoot {
    static final String KERNEL = "6.11.4-301.fc41.x86_64";
    static final String SECURE_BOOT =
            "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
    static final String INTEL_CPU = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: 13th Gen Intel(R) Core(TM) i7\n"
            + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep vmx smx est tm2 ssse3\n\n"
            + "processor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de vmx smx est\n";
    static final String AMD_CPU = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse svm extapic\n";
    static final String PLAIN_CPU = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr\n";

    final Path root;

    DoctorRoot(Path root) {
        this.root = root;
    }

    /** Everything present: vmx, intel_iommu=on iommu=pt, vfio-pci.ko.xz, Secure Boot off, the hook, OVMF. */
    static DoctorRoot good(Path dir) {
        DoctorRoot r = new DoctorRoot(dir);
        r.write("proc/cpuinfo", INTEL_CPU);
        r.write("proc/cmdline", "BOOT_IMAGE=(hd0,gpt2)/vmlinuz-" + KERNEL + " root=UUID=1 ro rhgb quiet intel_iommu=on iommu=pt\n");
        r.write("proc/sys/kernel/osrelease", KERNEL + "\n");
        r.write("dev/kvm", "");
        r.write("lib/modules/" + KERNEL + "/kernel/drivers/vfio/pci/vfio-pci.ko.xz", "xz");
        r.secureBoot(0);
        r.hook("etc/libvirt/hooks/qemu.d/gpupassd", "#!/bin/sh\nbusctl call org.gpupass1 ...\n", "rwxr-xr-x");
        r.mkdirs("etc/libvirt/qemu");
        r.write("usr/share/edk2/ovmf/OVMF_CODE.fd", "fd");
        return r;
    }

    DoctorRoot write(String rel, String content) {
        Path p = root.resolve(rel);
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    DoctorRoot writeBytes(String rel, byte[] content) {
        Path p = root.resolve(rel);
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    DoctorRoot mkdirs(String rel) {
        try {
            Files.createDirectories(root.resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    DoctorRoot delete(String rel) {
        try {
            Path p = root.resolve(rel);
            if (Files.isDirectory(p)) {
                try (var walk = Files.walk(p)) {
                    for (Path q : walk.sorted((a, b) -> b.compareTo(a)).toList()) {
                        Files.delete(q);
                    }
                }
            } else {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The efivar: 4 attribute bytes (NV+BS+RT = 0x07), then the value. */
    DoctorRoot secureBoot(int value) {
        return writeBytes(SECURE_BOOT, new byte[] {0x06, 0x00, 0x00, 0x00, (byte) value});
    }

    DoctorRoot hook(String rel, String content, String perms) {
        write(rel, content);
        try {
            Files.setPosixFilePermissions(root.resolve(rel), PosixFilePermissions.fromString(perms));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** /etc/libvirt/qemu/NAME.xml with PCI hostdevs; each entry "0000:01:00.0 yes|no|-" (- = no managed attribute). */
    DoctorRoot domain(String name, String... hostdevs) {
        StringBuilder xml = new StringBuilder("<domain type='kvm'>\n  <name>" + name.replace("&", "&amp;").replace("<", "&lt;")
                + "</name>\n  <devices>\n    <disk type='file' device='disk'/>\n");
        for (String h : hostdevs) {
            String[] p = h.split(" ");
            String[] a = p[0].split("[:.]");
            String managed = p[1].equals("-") ? "" : " managed='" + p[1] + "'";
            xml.append("    <hostdev mode='subsystem' type='pci'").append(managed).append(">\n      <source>\n")
                    .append("        <address domain='0x").append(a[0]).append("' bus='0x").append(a[1]).append("' slot='0x")
                    .append(a[2]).append("' function='0x").append(a[3]).append("'/>\n      </source>\n    </hostdev>\n");
        }
        xml.append("  </devices>\n</domain>\n");
        return write("etc/libvirt/qemu/" + name + ".xml", xml.toString());
    }

    /** Runs a command; returns exit code, stdout and stderr. */
    record Run(int code, String out, String err) {
    }

    interface Command {
        int run(List<String> args, PrintStream out, PrintStream err);
    }

    Run doctor(String... args) {
        return run(Doctor::run, args);
    }

    Run hostdevXml(String... args) {
        return run(HostdevXml::run, args);
    }

    Run run(Command command, String... args) {
        List<String> all = new ArrayList<>();
        all.add("--sysfs-root=" + root);
        all.add("--config=" + root.resolve("etc/gpupassd/gpupassd.conf"));
        all.addAll(Arrays.asList(args));
        return runRaw(command, all);
    }

    static Run runRaw(Command command, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = command.run(args, o, e);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Validates the doctor's JSON with python3's json module against the documented schema and
     * flattens it to lines: {@code ok BOOL}, {@code check NAME VERDICT}, {@code gpu ADDR claimable=..
     * boot_vga=.. group=N driver=D state=S}, {@code member GPU ADDR function=BOOL driver=D class=C},
     * {@code blocker GPU SENTENCE}, {@code evidence NAME TEXT}, {@code advice NAME TEXT}.
     */
    static List<String> flatten(String json) throws IOException, InterruptedException {
        String script = """
                import json, sys
                d = json.load(sys.stdin)
                assert set(d) == {"ok", "checks", "gpus"}, sorted(d)
                assert isinstance(d["ok"], bool)
                print("ok", str(d["ok"]).lower())
                for c in d["checks"]:
                    assert set(c) == {"name", "verdict", "evidence", "advice"}, sorted(c)
                    assert all(isinstance(c[k], str) for k in c)
                    assert c["verdict"] in ("ok", "info", "warn", "fail"), c["verdict"]
                    assert c["verdict"] != "fail" or c["advice"], c
                    print("check", c["name"], c["verdict"])
                    print("evidence", c["name"], c["evidence"])
                    print("advice", c["name"], c["advice"])
                assert d["ok"] == all(c["verdict"] != "fail" for c in d["checks"])
                for g in d["gpus"]:
                    assert set(g) == {"address", "name", "driver", "iommu_group", "boot_vga", "state", "functions",
                                      "members", "claimable", "blockers"}, sorted(g)
                    assert isinstance(g["iommu_group"], int) and isinstance(g["boot_vga"], bool)
                    assert isinstance(g["claimable"], bool) and g["claimable"] == (len(g["blockers"]) == 0)
                    assert g["functions"][0] == g["address"]
                    print("gpu", g["address"], "claimable=%s" % str(g["claimable"]).lower(),
                          "boot_vga=%s" % str(g["boot_vga"]).lower(), "group=%d" % g["iommu_group"],
                          "driver=" + g["driver"], "state=" + g["state"], "functions=" + ",".join(g["functions"]))
                    for m in g["members"]:
                        assert set(m) == {"address", "class", "driver", "function_of_gpu"}, sorted(m)
                        assert isinstance(m["function_of_gpu"], bool)
                        print("member", g["address"], m["address"], "function=%s" % str(m["function_of_gpu"]).lower(),
                              "driver=" + m["driver"], "class=" + m["class"])
                    for b in g["blockers"]:
                        assert isinstance(b, str)
                        print("blocker", g["address"], b)
                """;
        Process p = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("python3 rejected the JSON:\n" + out + "\nJSON was:\n" + json);
        }
        return out.lines().toList();
    }
}
