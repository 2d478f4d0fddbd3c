package org.gpupass.host.sim;

import static org.gpupass.host.sim.SimAsserts.errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.gpupass.host.Errno;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.sim.SimulatedKernel.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Virtual consoles and firmware framebuffers: the host statements, the kernel's rules, faults and the log. */
@Timeout(10)
class ConsolesTest {
    private static final Framebuffer EFI = new Framebuffer("efi-framebuffer.0", "efi-framebuffer");

    private static SimulatedKernel singleGpu() throws Exception {
        return SimulatedKernel.builtIn("single-gpu");
    }

    @Test
    void singleGpuBootsWithFbconOnTheEfiFramebufferAndTheOtherHostsHaveNone() throws Exception {
        SimulatedKernel k = singleGpu();
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        assertEquals(List.of(EFI), k.consoles().firmwareFramebuffers());
        for (String name : List.of("dual-gpu", "shared-group")) {
            SimulatedKernel other = SimulatedKernel.builtIn(name);
            assertEquals(List.of(), other.consoles().framebufferConsoles(), name);
            assertEquals(List.of(), other.consoles().firmwareFramebuffers(), name);
        }
    }

    @Test
    void unbindingAndBindingAConsoleAndAFramebuffer() throws Exception {
        SimulatedKernel k = singleGpu();
        k.consoles().unbindConsole("vtcon1");
        assertEquals(List.of(), k.consoles().framebufferConsoles());
        k.consoles().unbindConsole("vtcon1"); // already unbound: no change, like the kernel
        k.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals(List.of(), k.consoles().firmwareFramebuffers());
        k.consoles().bindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        k.consoles().bindConsole("vtcon1");
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        assertEquals(List.of(EFI), k.consoles().firmwareFramebuffers());
    }

    @Test
    void theSystemDummyConsoleTakesOverAndIsNeverListed() throws Exception {
        SimulatedKernel k = SimulatedKernel.parse("""
                console vtcon0 name="(S) dummy device" unbound
                console vtcon1 name="(M) frame buffer device"
                console vtcon2 name="(M) frame buffer device" unbound
                console vtcon10 name="(M) frame buffer device"
                """, "consoles");
        assertEquals(List.of("vtcon1", "vtcon10"), k.consoles().framebufferConsoles());
        k.consoles().unbindConsole("vtcon0"); // the system driver cannot be unbound: no change
        k.consoles().unbindConsole("vtcon1");
        k.consoles().unbindConsole("vtcon10");
        assertEquals(List.of(), k.consoles().framebufferConsoles());
        k.consoles().bindConsole("vtcon2");
        assertEquals(List.of("vtcon2"), k.consoles().framebufferConsoles());
    }

    @Test
    void errnosFollowTheKernel() throws Exception {
        SimulatedKernel k = singleGpu();
        assertEquals(Errno.ENOENT, errno(() -> k.consoles().unbindConsole("vtcon7")));
        assertEquals(Errno.ENOENT, errno(() -> k.consoles().bindConsole("vtcon7")));
        assertEquals(Errno.ENOENT, errno(() -> k.consoles().unbindFramebuffer("simpledrm", "efi-framebuffer.0")));
        assertEquals(Errno.ENODEV, errno(() -> k.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.1")));
        assertEquals(Errno.ENODEV, errno(() -> k.consoles().bindFramebuffer("efi-framebuffer", "efi-framebuffer.0")));
        k.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals(Errno.ENODEV, errno(() -> k.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0")));
        assertEquals(List.of("UNBIND_CONSOLE vtcon7  ENOENT", "BIND_CONSOLE vtcon7  ENOENT",
                "UNBIND_FRAMEBUFFER efi-framebuffer.0 simpledrm ENOENT",
                "UNBIND_FRAMEBUFFER efi-framebuffer.1 efi-framebuffer ENODEV",
                "BIND_FRAMEBUFFER efi-framebuffer.0 efi-framebuffer ENODEV",
                "UNBIND_FRAMEBUFFER efi-framebuffer.0 efi-framebuffer ok",
                "UNBIND_FRAMEBUFFER efi-framebuffer.0 efi-framebuffer ENODEV"),
                k.writeLog().stream().map(w -> w.op() + " " + w.target() + " " + w.value() + " " + w.outcome()).toList());
    }

    @Test
    void faultsApplyToTheNewWritesAndChangeNothing() throws Exception {
        SimulatedKernel k = singleGpu();
        k.failOn(Op.UNBIND_CONSOLE, "vtcon1", Errno.EBUSY);
        assertEquals(Errno.EBUSY, errno(() -> k.consoles().unbindConsole("vtcon1")));
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        k.failWrite(1, Errno.EIO);
        assertEquals(Errno.EIO, errno(() -> k.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0")));
        assertEquals(List.of(EFI), k.consoles().firmwareFramebuffers());
        k.clearFaults();

        k.hangOn(Op.UNBIND_FRAMEBUFFER, "*");
        CompletableFuture<Void> hung = CompletableFuture.runAsync(() -> {
            try {
                k.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        assertEquals(List.of(EFI), k.consoles().firmwareFramebuffers(), "a hung write changes nothing, reads go on");
        k.consoles().unbindConsole("vtcon1");
        k.releaseHangs();
        Exception e = assertThrows(Exception.class, () -> hung.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("EIO"), e.getCause().getMessage());
        assertEquals(List.of(EFI), k.consoles().firmwareFramebuffers());

        k.clearFaults();
        k.hangWrite(1);
        CompletableFuture<Void> completed = CompletableFuture.runAsync(() -> {
            try {
                k.consoles().bindConsole("vtcon1");
            } catch (Exception x) {
                throw new java.util.concurrent.CompletionException(x);
            }
        });
        assertTrue(k.awaitHung(1, Duration.ofSeconds(5)));
        k.completeHangs();
        completed.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        assertEquals("hung then ok", k.writeLog().get(k.writeCount() - 1).outcome());
    }

    @Test
    void badStatementsAreNamed() throws Exception {
        assertEquals("h:1: bad virtual console 'tty1' (expected vtconN)",
                assertThrows(HostFileException.class, () -> SimulatedKernel.parse("console tty1 name=x", "h"))
                        .getMessage());
        assertEquals("h:1: console: missing name=",
                assertThrows(HostFileException.class, () -> SimulatedKernel.parse("console vtcon1", "h")).getMessage());
        assertTrue(assertThrows(HostFileException.class,
                () -> SimulatedKernel.parse("framebuffer efifb.0 driver=efi-framebuffer", "h")).getMessage()
                .startsWith("h:1: bad framebuffer device 'efifb.0'"));
        assertEquals("h:2: framebuffer efi-framebuffer.0 is described twice",
                assertThrows(HostFileException.class, () -> SimulatedKernel.parse(
                        "framebuffer efi-framebuffer.0 driver=efi-framebuffer\n"
                                + "framebuffer efi-framebuffer.0 driver=efi-framebuffer unbound", "h")).getMessage());
        assertEquals("h:1: framebuffer: unexpected word 'bound'", assertThrows(HostFileException.class,
                () -> SimulatedKernel.parse("framebuffer simple-framebuffer.0 driver=simpledrm bound", "h")).getMessage());
    }

    @Test
    void theBuilderDescribesThemToo() throws Exception {
        SimulatedKernel k = SimulatedKernel.builder()
                .console("vtcon0", "(S) dummy device", false)
                .console("vtcon1", "(M) frame buffer device", true)
                .framebuffer("simple-framebuffer.0", "simple-framebuffer", true)
                .framebuffer("vesa-framebuffer.0", "vesafb", false)
                .build();
        assertEquals(List.of("vtcon1"), k.consoles().framebufferConsoles());
        assertEquals(List.of(new Framebuffer("simple-framebuffer.0", "simple-framebuffer")), k.consoles().firmwareFramebuffers());
        k.consoles().bindFramebuffer("vesafb", "vesa-framebuffer.0");
        assertEquals(2, k.consoles().firmwareFramebuffers().size());
    }
}
