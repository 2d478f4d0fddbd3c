package org.gpupass.host.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A root directory laid out like a Linux host's sysfs, /proc and /dev, with the kernel's relative
 * symlinks: {@code sys/bus/pci/devices/X -> ../../../devices/pci0000:00/X}, a device's
 * {@code driver -> ../../../bus/pci/drivers/D} and {@code iommu_group -> ../../../kernel/iommu_groups/N}
 * (one more {@code ../} per bridge level).
 */
final class FakeRoot {
    final Path root;

    FakeRoot(Path root) {
        this.root = root;
        mkdirs("sys/bus/pci/devices");
        mkdirs("sys/bus/pci/drivers");
        mkdirs("sys/devices/pci0000:00");
        mkdirs("sys/kernel/iommu_groups");
        mkdirs("proc");
        mkdirs("dev");
    }

    /** A function directly on the root complex. */
    Dev device(String address) {
        return new Dev(address, "sys/devices/pci0000:00/" + address, 3);
    }

    /** A function behind a bridge (root port) that was created with {@link #device}. */
    Dev deviceBehind(String bridge, String address) {
        return new Dev(address, "sys/devices/pci0000:00/" + bridge + "/" + address, 4);
    }

    /** A typical GPU: ids, class, driver, group, boot_vga 0, driver_override "(null)". */
    Dev gpu(String address, String vendor, String device, String driver, int group) {
        return device(address).ids(vendor, device, "0x030000").driver(driver).group(group)
                .file("boot_vga", "0\n").override("(null)\n");
    }

    final class Dev {
        final String address;
        final Path dir;
        final String up;

        private Dev(String address, String relDir, int depth) {
            this.address = address;
            this.dir = root.resolve(relDir);
            this.up = "../".repeat(depth);
            mkdirs(relDir);
            link("sys/bus/pci/devices/" + address, "../../../" + relDir.substring("sys/".length()));
        }

        Dev ids(String vendor, String device, String klass) {
            return file("vendor", vendor + "\n").file("device", device + "\n").file("class", klass + "\n");
        }

        Dev file(String name, String content) {
            write(dir.resolve(name), content);
            return this;
        }

        Dev driver(String driver) {
            mkdirs("sys/bus/pci/drivers/" + driver);
            linkAbs(dir.resolve("driver"), up + "bus/pci/drivers/" + driver);
            return this;
        }

        Dev group(int group) {
            mkdirs("sys/kernel/iommu_groups/" + group + "/devices");
            linkAbs(dir.resolve("iommu_group"), up + "kernel/iommu_groups/" + group);
            link("sys/kernel/iommu_groups/" + group + "/devices/" + address,
                    "../../../../devices/pci0000:00/" + address);
            return this;
        }

        Dev override(String raw) {
            return file("driver_override", raw);
        }

        /** A device link as drivers/base/core.c names it in the supplier's directory. */
        Dev consumer(String consumerAddress) {
            linkAbs(dir.resolve("consumer:pci:" + consumerAddress),
                    up + "devices/virtual/devlink/pci:" + address + "--pci:" + consumerAddress);
            return this;
        }

        Dev drm(String... names) {
            for (String n : names) {
                mkdirsAbs(dir.resolve("drm").resolve(n));
            }
            return this;
        }

        Dev sound(String card, String... nodes) {
            for (String n : nodes) {
                mkdirsAbs(dir.resolve("sound").resolve(card).resolve(n));
            }
            return this;
        }
    }

    /** /proc/PID with comm, status (real and effective uid), cgroup and fd links to the given targets. */
    Path process(int pid, String comm, int uid, String cgroup, String... fdTargets) {
        Path p = root.resolve("proc/" + pid);
        mkdirsAbs(p.resolve("fd"));
        write(p.resolve("comm"), comm + "\n");
        write(p.resolve("status"), "Name:\t" + comm + "\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t" + pid
                + "\nUid:\t" + uid + "\t" + (uid + 1) + "\t" + uid + "\t" + uid + "\nGid:\t0\t0\t0\t0\n");
        write(p.resolve("cgroup"), cgroup + "\n");
        int fd = 0;
        for (String t : fdTargets) {
            linkAbs(p.resolve("fd/" + fd++), t);
        }
        return p;
    }

    FakeRoot nvidiaInformation(String address, int minor) {
        write(root.resolve("proc/driver/nvidia/gpus/" + address + "/information"),
                "Model: \t\t NVIDIA GeForce RTX 4070 Ti SUPER\nIRQ:   \t\t 145\nGPU UUID: \t GPU-0\n"
                        + "Video BIOS: \t 95.03.45.00.6d\nBus Type: \t PCIe\nDMA Size: \t 47 bits\n"
                        + "DMA Mask: \t 0x7fffffffffff\nBus Location: \t " + address + "\nDevice Minor: \t " + minor
                        + "\nGPU Excluded:\t No\n");
        return this;
    }

    FakeRoot procModules(String content) {
        write(root.resolve("proc/modules"), content);
        return this;
    }

    /** sys/bus/pci/drivers/D/module -> ../../../../module/M */
    FakeRoot driverModule(String driver, String module) {
        mkdirs("sys/module/" + module);
        mkdirs("sys/bus/pci/drivers/" + driver);
        link("sys/bus/pci/drivers/" + driver + "/module", "../../../../module/" + module);
        return this;
    }

    FakeRoot pciIds(String location, String content) {
        write(root.resolve(location), content);
        return this;
    }

    Path path(String rel) {
        return root.resolve(rel);
    }

    String read(String rel) {
        try {
            return Files.readString(root.resolve(rel), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void mkdirs(String rel) {
        mkdirsAbs(root.resolve(rel));
    }

    void link(String rel, String target) {
        linkAbs(root.resolve(rel), target);
    }

    static void mkdirsAbs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void linkAbs(Path link, String target) {
        try {
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
