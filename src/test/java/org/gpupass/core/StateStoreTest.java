package org.gpupass.core;

import static org.gpupass.core.Hosts.NVIDIA;
import static org.gpupass.core.Hosts.NVIDIA_AUDIO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.GpuState;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.plan.Intent;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StateStoreTest {
    @TempDir
    Path dir;

    @Test
    void claimsAndIntentsRoundTrip() throws Exception {
        StateStore store = new StateStore(dir);
        ClaimRecord claim = new ClaimRecord(NVIDIA, "win 11 = «gaming»", 1234567, Map.of(NVIDIA, "nvidia",
                NVIDIA_AUDIO, "snd_hda_intel"), List.of("sddm.service"), List.of("nvidia_drm", "nvidia"));
        store.saveClaim(claim);
        assertEquals(Map.of(NVIDIA, claim), store.loadClaims());
        Intent intent = new Intent.Claiming(NVIDIA, "win11", List.of(NVIDIA, NVIDIA_AUDIO),
                Map.of(NVIDIA, "nvidia"), List.of("sddm.service", "session-2.scope"), List.of("sddm.service"),
                List.of("nvidia"), List.of(), List.of(), 42);
        store.writeIntent(intent);
        assertEquals(Optional.of(intent), store.loadIntent());
        store.clearIntent();
        assertEquals(Optional.empty(), store.loadIntent());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void unboundConsolesAndFramebuffersRoundTrip() throws Exception {
        StateStore store = new StateStore(dir);
        List<Framebuffer> fbs = List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer"),
                new Framebuffer("simple-framebuffer.0", "simpledrm"));
        ClaimRecord claim = new ClaimRecord(NVIDIA, "win11", 7, Map.of(NVIDIA, "nvidia"), List.of("sddm.service"),
                List.of(), List.of("vtcon1", "vtcon2"), fbs);
        store.saveClaim(claim);
        assertEquals(Map.of(NVIDIA, claim), store.loadClaims());
        String text = Files.readString(dir.resolve("claims/pci_0000_01_00_0.claim"));
        assertTrue(text.startsWith("format=1\n"), text);
        assertTrue(text.contains("\nunbound_consoles=vtcon1 vtcon2\n"), text);
        assertTrue(text.contains("\nunbound_framebuffers=efi-framebuffer.0:efi-framebuffer simple-framebuffer.0:simpledrm\n"),
                text);
        assertEquals(claim, claim.withHolder("win11", 7));
        Intent.Claiming claiming = new Intent.Claiming(NVIDIA, "win11", List.of(NVIDIA), Map.of(NVIDIA, "nvidia"),
                List.of("sddm.service"), List.of("sddm.service"), List.of(), List.of("vtcon1"), fbs, 42);
        Intent.Releasing releasing = Intent.Releasing.of(claiming.asClaim(1), List.of(NVIDIA), 42);
        for (Intent intent : List.<Intent>of(claiming, releasing)) {
            store.writeIntent(intent);
            assertEquals(Optional.of(intent), store.loadIntent());
        }
        assertEquals(List.of("vtcon1"), claiming.asClaim(1).unboundConsoles());
        assertEquals(fbs, claiming.asClaim(1).unboundFramebuffers());
        assertEquals(List.of("vtcon1"), releasing.unboundConsoles());
        assertEquals(fbs, releasing.unboundFramebuffers());
    }

    @Test
    void filesWrittenBeforeTheConsoleKeysStillLoad() throws Exception {
        StateStore store = new StateStore(dir);
        Files.writeString(dir.resolve("claims/pci_0000_01_00_0.claim"), "format=1\ngpu=0000:01:00.0\nholder=win11\n"
                + "since=5\ndriver.0000:01:00.0=nvidia\nunits_to_restore=sddm.service\nunloaded_modules=\n");
        assertEquals(Map.of(NVIDIA, new ClaimRecord(NVIDIA, "win11", 5, Map.of(NVIDIA, "nvidia"),
                List.of("sddm.service"), List.of())), store.loadClaims());
        Files.writeString(dir.resolve("intent"), "format=1\noperation=release\ngpu=0000:01:00.0\nholder=win11\n"
                + "functions=0000:01:00.0\ndriver.0000:01:00.0=nvidia\nunits_stopped=\nunits_to_restore=\n"
                + "modules=\nstarted=9\n");
        Intent.Releasing intent = (Intent.Releasing) store.loadIntent().orElseThrow();
        assertEquals(List.of(), intent.unboundConsoles());
        assertEquals(List.of(), intent.unboundFramebuffers());
    }

    /** Files as the version before the per-operation intents wrote them (one record type for both). */
    @Test
    void aStateDirectoryWrittenByTheEarlierVersionIsRead() throws Exception {
        StateStore store = new StateStore(dir);
        Files.writeString(dir.resolve("intent"), "format=1\noperation=claim\ngpu=0000:01:00.0\nholder=win11\n"
                + "functions=0000:01:00.0 0000:01:00.1\ndriver.0000:01:00.0=nvidia\ndriver.0000:01:00.1=snd_hda_intel\n"
                + "units_stopped=sddm.service session-2.scope\nunits_to_restore=sddm.service\n"
                + "modules=nvidia_drm nvidia\nstarted=42\nconsoles=vtcon1\n"
                + "framebuffers=efi-framebuffer.0:efi-framebuffer\n");
        assertEquals(Optional.of(new Intent.Claiming(NVIDIA, "win11", List.of(NVIDIA, NVIDIA_AUDIO),
                Map.of(NVIDIA, "nvidia", NVIDIA_AUDIO, "snd_hda_intel"), List.of("sddm.service", "session-2.scope"),
                List.of("sddm.service"), List.of("nvidia_drm", "nvidia"), List.of("vtcon1"),
                List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer")), 42)), store.loadIntent());
        String claimText = Files.readString(dir.resolve("intent"));
        store.writeIntent(store.loadIntent().orElseThrow());
        assertEquals(claimText, Files.readString(dir.resolve("intent")), "written back byte for byte");
        Files.writeString(dir.resolve("intent"), "format=1\noperation=release\ngpu=0000:01:00.0\nholder=win11\n"
                + "functions=0000:01:00.0 0000:01:00.1\ndriver.0000:01:00.0=nvidia\ndriver.0000:01:00.1=snd_hda_intel\n"
                + "units_stopped=sddm.service\nunits_to_restore=\nmodules=nvidia_drm nvidia\nstarted=43\n"
                + "consoles=vtcon1\nframebuffers=efi-framebuffer.0:efi-framebuffer\n");
        Intent.Releasing release = new Intent.Releasing(NVIDIA, "win11", List.of(NVIDIA, NVIDIA_AUDIO),
                Map.of(NVIDIA, "nvidia", NVIDIA_AUDIO, "snd_hda_intel"), List.of("sddm.service"),
                List.of("nvidia_drm", "nvidia"), List.of("vtcon1"),
                List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer")), 43);
        assertEquals(Optional.of(release), store.loadIntent());
        String before = Files.readString(dir.resolve("intent"));
        store.writeIntent(release);
        assertEquals(before, Files.readString(dir.resolve("intent")), "written back byte for byte");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "garbage", "format=2\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n",
            "format=1\ngpu=zz\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n",
            "format=1\ngpu=0000:01:00.0\nholder=a\u0007b\nsince=1\nunits_to_restore=\nunloaded_modules=\n",
            "format=1\ngpu=0000:01:00.0\nholder=x\nsince=soon\nunits_to_restore=\nunloaded_modules=\n",
            "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\ndriver.0000:01:00.0=../../x\nunits_to_restore=\nunloaded_modules=\n",
            "format=1\ngpu=0000:02:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n",
            "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\nunbound_consoles=vt/1\n",
            "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n"
                    + "unbound_framebuffers=efi-framebuffer.0\n",
            "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n"
                    + "unbound_framebuffers=..:efi-framebuffer\n",
            "format=1\ngpu=0000:01:00.0\nholder=x\nsince=1\nunits_to_restore=\nunloaded_modules=\n"
                    + "unbound_framebuffers=a:b:c\n"})
    void aCorruptClaimIsMovedAsideAndIgnored(String content) throws Exception {
        StateStore store = new StateStore(dir);
        Files.writeString(dir.resolve("claims/pci_0000_01_00_0.claim"), content);
        assertEquals(Map.of(), store.loadClaims());
        assertFalse(Files.exists(dir.resolve("claims/pci_0000_01_00_0.claim")));
        try (Stream<Path> files = Files.list(dir.resolve("claims"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("pci_0000_01_00_0.claim.corrupt-")));
        }
    }

    @Test
    void aCorruptIntentIsMovedAsideAndTheDaemonStarts() throws Exception {
        Files.writeString(dir.resolve("intent"), "format=1\noperation=explode\n");
        SimulatedKernel kernel = Hosts.builtIn("dual-gpu");
        GpuManager m = Hosts.manager(kernel, dir, Hosts.config(""));
        assertEquals(GpuState.HOST, m.gpu(NVIDIA).orElseThrow().state());
        assertFalse(Files.exists(dir.resolve("intent")));
        m.close();
    }

    @Test
    void startupDropsClaimsOfGpusBackOnTheHostAndAdoptsUnclaimedVfioGpus() throws Exception {
        StateStore store = new StateStore(dir);
        store.saveClaim(new ClaimRecord(NVIDIA, "stale", 1, Map.of(), List.of(), List.of()));
        SimulatedKernel kernel = Hosts.onVfio(Hosts.parse(Hosts.TWO_DISCRETE), Hosts.SECOND, Hosts.SECOND_AUDIO);
        GpuManager m = Hosts.manager(kernel, dir, Hosts.config(""));
        assertEquals("", m.gpu(NVIDIA).orElseThrow().holder());
        assertEquals(GpuState.VFIO, m.gpu(Hosts.SECOND).orElseThrow().state());
        assertEquals(Map.of(Hosts.SECOND, ""), Map.of(Hosts.SECOND, store.loadClaims().get(Hosts.SECOND).holder()));
        assertFalse(store.loadClaims().containsKey(NVIDIA));
        m.close();
    }

    @Test
    void claimsSurviveARestart() throws Exception {
        SimulatedKernel kernel = Hosts.builtIn("dual-gpu");
        GpuManager first = Hosts.manager(kernel, dir, Hosts.config(""));
        first.claim("01:00.0", "win11");
        first.close();
        GpuManager second = Hosts.manager(kernel, dir, Hosts.config(""));
        assertEquals("win11", second.gpu(NVIDIA).orElseThrow().holder());
        assertEquals("nvidia", second.gpu(NVIDIA).orElseThrow().hostDriver());
        second.release("01:00.0", "win11");
        assertEquals("nvidia", Hosts.device(kernel, NVIDIA).driver());
        second.close();
    }
}
