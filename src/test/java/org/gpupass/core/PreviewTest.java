package org.gpupass.core;

import static org.gpupass.core.Hosts.INTEL;
import static org.gpupass.core.Hosts.NVIDIA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.gpupass.config.Config;
import org.gpupass.host.sim.SimulatedKernel;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.gpupass.plan.Intent.Operation;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A preview is exactly what the following Claim or Release then runs, on every host and configuration that changes a plan. */
class PreviewTest {
    @TempDir
    Path state;

    static Stream<Arguments> setups() {
        return Stream.of(
                Arguments.of("dual-gpu", ""),
                Arguments.of("dual-gpu", "unload_host_modules = yes"),
                Arguments.of("dual-gpu", "stop_units = cups.service"),
                Arguments.of("dual-gpu", "stop_display_manager = when-holding"),
                Arguments.of("single-gpu", "allow_boot_display = yes\nstop_display_manager = when-holding"),
                Arguments.of("single-gpu", "allow_boot_display = yes\nstop_display_manager = when-holding\n"
                        + "unbind_consoles = yes\nunload_host_modules = yes"),
                Arguments.of("shared-group", "manage = 10de:2705"));
    }

    @ParameterizedTest(name = "{0} [{1}]")
    @MethodSource("setups")
    void previewsAreWhatRuns(String host, String configText) throws Exception {
        SimulatedKernel kernel = Hosts.builtIn(host);
        Config config = Hosts.config(configText);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        GpuManager m = Hosts.manager(kernel, state, config, (i, step) -> ran.add(step.describe()));
        try {
            for (Operation op : List.of(Operation.CLAIM, Operation.RELEASE)) {
                ran.clear();
                TransitionPreview preview;
                try {
                    preview = m.preview(op, "01:00.0", "win11");
                } catch (GpuPassException refused) {
                    GpuPassException real = assertThrows(GpuPassException.class, () -> act(m, op));
                    assertEquals(refused.kind(), real.kind(), op + ": refused the same way");
                    assertEquals(refused.getMessage(), real.getMessage());
                    assertEquals(List.of(), ran, op + ": nothing ran");
                    continue;
                }
                act(m, op);
                assertEquals(op == Operation.CLAIM || !ran.isEmpty(), !ran.isEmpty(), op + ": a claim from the host runs steps");
                assertEquals(preview.steps(), ran, op + " on " + host + ": the preview is what ran");
                assertEquals(preview.steps().isEmpty() ? "none" : "transition", preview.outcome());
                assertEquals(NVIDIA, preview.gpu());
            }
        } finally {
            m.close();
        }
    }

    private static void act(GpuManager m, Operation op) throws GpuPassException {
        if (op == Operation.CLAIM) {
            m.claim("01:00.0", "win11");
        } else {
            m.release("01:00.0", "win11");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void aPreviewIsRefusedAsTheCallWouldBe(String why, String device, String holder, ErrorKind kind) throws Exception {
        GpuManager m = Hosts.manager(Hosts.builtIn("dual-gpu"), state, Hosts.config(""));
        try {
            m.claim("01:00.0", "win11");
            Operation op = why.startsWith("release") ? Operation.RELEASE : Operation.CLAIM;
            assertEquals(kind, assertThrows(GpuPassException.class, () -> m.preview(op, device, holder)).kind());
        } finally {
            m.close();
        }
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("claim of a GPU another holds", "01:00.0", "linux", ErrorKind.ALREADY_CLAIMED),
                Arguments.of("claim of the boot display", INTEL.toString(), "linux", ErrorKind.BOOT_DISPLAY),
                Arguments.of("claim of no GPU", "00:17.0", "linux", ErrorKind.NO_SUCH_DEVICE),
                Arguments.of("claim with a bad address", "zz", "linux", ErrorKind.INVALID_ARGUMENT),
                Arguments.of("release by another", "01:00.0", "linux", ErrorKind.NOT_HOLDER));
    }

    @org.junit.jupiter.api.Test
    void aPreviewOfWhatIsSoAlreadyHasNoSteps() throws Exception {
        GpuManager m = Hosts.manager(Hosts.builtIn("dual-gpu"), state, Hosts.config(""));
        try {
            assertEquals(new TransitionPreview(NVIDIA, "none", List.of()), m.preview(Operation.RELEASE, "01:00.0", ""));
            m.claim("01:00.0", "win11");
            assertEquals(new TransitionPreview(NVIDIA, "none", List.of()), m.preview(Operation.CLAIM, "", "win11"));
            assertEquals("transition", m.preview(Operation.RELEASE, "", "").outcome());
        } finally {
            m.close();
        }
    }

}
