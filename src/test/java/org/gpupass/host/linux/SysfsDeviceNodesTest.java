package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gpupass.model.PciAddress;
import org.gpupass.host.Host;
import org.gpupass.host.NodeHolder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SysfsDeviceNodesTest {
    static final String SDDM = "0::/system.slice/sddm.service";
    static final String SESSION = "0::/user.slice/user-1000.slice/session-2.scope";

    @RegisterExtension
    final FakeHost fake = new FakeHost();

    @Test
    void drmAndNvidiaNodesOfTheGpu() throws IOException {
        fake.root.gpu("0000:01:00.0", "0x10de", "0x2705", "nvidia", 1).drm("card1", "renderD128", "controlD65x");
        FakeRoot.mkdirsAbs(fake.root.path("sys/devices/pci0000:00/0000:01:00.0/drm/card1/card1-HDMI-A-1"));
        fake.root.nvidiaInformation("0000:01:00.0", 0);
        assertEquals(List.of("/dev/dri/card1", "/dev/dri/renderD128", "/dev/nvidia0"),
                fake.host.nodes().nodesOf(PciAddress.tryParse("0000:01:00.0")));
    }

    @Test
    void soundNodesOfTheAudioFunction() throws IOException {
        fake.root.device("0000:01:00.1").ids("0x10de", "0x22bb", "0x040300").driver("snd_hda_intel")
                .sound("card1", "controlC1", "pcmC1D3p", "pcmC1D7p", "hwC1D0", "power", "subsystem")
                .sound("timer", "nothing");
        assertEquals(List.of("/dev/snd/controlC1", "/dev/snd/hwC1D0", "/dev/snd/pcmC1D3p", "/dev/snd/pcmC1D7p"),
                fake.host.nodes().nodesOf(PciAddress.tryParse("0000:01:00.1")));
    }

    @Test
    void noNodesForAnUnboundOrUnknownDevice() throws IOException {
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000");
        assertEquals(List.of(), fake.host.nodes().nodesOf(PciAddress.tryParse("0000:01:00.0")));
        assertEquals(List.of(), fake.host.nodes().nodesOf(PciAddress.tryParse("0000:09:00.0")));
    }

    @Test
    void nvidiaInformationWithoutMinorGivesNoNode() throws IOException {
        fake.root.gpu("0000:01:00.0", "0x10de", "0x2705", "nvidia", 1);
        FakeRoot.write(fake.root.path("proc/driver/nvidia/gpus/0000:01:00.0/information"), "Model: x\nDevice Minor: \t abc\n");
        assertEquals(List.of(), fake.host.nodes().nodesOf(PciAddress.tryParse("0000:01:00.0")));
    }

    @Test
    void holdersWithCommandRealUidAndUnit() throws IOException {
        fake.root.process(1234, "Xorg", 0, SDDM, "/dev/null", "/dev/dri/card1", "socket:[4711]", "/dev/dri/renderD128");
        fake.root.process(2001, "kwin_wayland", 1000, SESSION, "/dev/dri/renderD128", "anon_inode:[eventfd]");
        fake.root.process(2002, "konsole", 1000, SESSION, "/dev/pts/1");
        List<NodeHolder> h = fake.host.nodes().holders(List.of("/dev/dri/card1", "/dev/dri/renderD128"));
        assertEquals(List.of(
                new NodeHolder(1234, "Xorg", 0, "sddm.service", "/dev/dri/card1"),
                new NodeHolder(1234, "Xorg", 0, "sddm.service", "/dev/dri/renderD128"),
                new NodeHolder(2001, "kwin_wayland", 1000, "session-2.scope", "/dev/dri/renderD128")), h);
    }

    @Test
    void aNodeOpenTwiceIsOneHolderEntry() throws IOException {
        fake.root.process(300, "nvidia-smi", 0, "0::/", "/dev/nvidia0", "/dev/nvidia0", "/dev/nvidiactl");
        assertEquals(List.of(new NodeHolder(300, "nvidia-smi", 0, "", "/dev/nvidia0")),
                fake.host.nodes().holders(List.of("/dev/nvidia0")));
    }

    @Test
    void targetsAreComparedAsTheKernelWritesThemNotUnderTheRoot() throws IOException {
        fake.root.process(10, "a", 0, SDDM, fake.dir.resolve("dev/dri/card1").toString());
        fake.root.process(11, "b", 0, SDDM, "/dev/dri/card1 (deleted)");
        fake.root.process(12, "c", 0, SDDM, "/dev/dri/card10");
        assertEquals(List.of(), fake.host.nodes().holders(List.of("/dev/dri/card1")));
    }

    @Test
    void vanishedAndUnreadableProcessesAreSkipped() throws IOException {
        fake.root.process(1234, "Xorg", 0, SDDM, "/dev/dri/card1");
        // exited after its fds were listed: comm, status and cgroup are gone
        Path gone = fake.root.process(4000, "gone", 0, SDDM, "/dev/dri/card1");
        Files.delete(gone.resolve("comm"));
        Files.delete(gone.resolve("status"));
        // exited before: no fd directory
        fake.root.mkdirs("proc/4001");
        // kernel thread-like: empty fd fake.dir; and non-pid entries
        fake.root.mkdirs("proc/2/fd");
        fake.root.mkdirs("proc/sys/fd");
        fake.root.link("proc/self", "1234");
        FakeRoot.write(fake.root.path("proc/uptime"), "1.0 1.0\n");
        assertEquals(List.of(new NodeHolder(1234, "Xorg", 0, "sddm.service", "/dev/dri/card1")),
                fake.host.nodes().holders(List.of("/dev/dri/card1")));
    }

    @Test
    void noNodesNoScan() throws IOException {
        Host nowhere = LinuxHost.at(fake.dir.resolve("nowhere"), new RecordingUnits());
        assertEquals(List.of(), nowhere.nodes().holders(List.of()));
    }

    @Test
    void unitIsTheLastServiceOrScopeComponent() {
        assertEquals("sddm.service", ProcScanner.unitOf(List.of(SDDM)));
        assertEquals("session-2.scope", ProcScanner.unitOf(List.of(SESSION)));
        assertEquals("app-org.kde.konsole-1234.scope", ProcScanner.unitOf(List.of(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.kde.konsole-1234.scope")));
        assertEquals("docker.service", ProcScanner.unitOf(List.of("0::/system.slice/docker.service/payload")));
        assertEquals("", ProcScanner.unitOf(List.of("0::/")));
        assertEquals("", ProcScanner.unitOf(List.of("0::/init.scopes/x.services")));
        assertEquals("gdm.service", ProcScanner.unitOf(List.of("12:cpu,cpuacct:/", "1:name=systemd:/system.slice/gdm.service")));
        assertEquals("sddm.service", ProcScanner.unitOf(List.of("1:name=systemd:/system.slice/gdm.service", SDDM)));
        assertEquals("", ProcScanner.unitOf(List.of()));
    }

    @Test
    void realUidIsTheFirstUidField() {
        assertEquals(1000, ProcScanner.realUid(List.of("Name:\tx", "Uid:\t1000\t0\t0\t0")));
        assertEquals(-1, ProcScanner.realUid(List.of("Name:\tx")));
        assertEquals(-1, ProcScanner.realUid(List.of("Uid:\tabc")));
    }

    @Test
    void existsOnlyForDevPaths() throws IOException {
        FakeRoot.write(fake.root.path("dev/vfio/1"), "");
        assertEquals(true, fake.host.nodes().exists("/dev/vfio/1"));
        assertEquals(false, fake.host.nodes().exists("/dev/vfio/2"));
        assertThrows(IllegalArgumentException.class, () -> fake.host.nodes().exists("/etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> fake.host.nodes().exists("/dev/../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> fake.host.nodes().exists("dev/vfio/1"));
    }
}
