package org.gpupass.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.GpuState;
import org.gpupass.model.Holders;
import org.gpupass.plan.ClaimRecord;
import org.gpupass.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HoldersTest {
    @TempDir
    Path state;

    /** Blank once whitespace, fillers and invisible marks are taken away: each reads as no holder at all. */
    @ParameterizedTest
    @ValueSource(strings = {"   ", "\u00a0", "\u2003", "\u3000", "\u3164", "\u115f", "\u1160", "\uffa0", "\u2800",
            "\u1680", "\u2007", "\u202f", "\u205f", " \u3164 \u2800 ", "\u034f", "\u17b4\u17b5", "\ufe0f",
            "\u0301", "\u20dd", "\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164"})
    void invisibleHoldersAreRefused(String holder) {
        assertFalse(Holders.valid(holder), holder);
        GpuPassException e = assertThrows(GpuPassException.class, () -> Holders.require(holder));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("U+"), e.getMessage());
        assertTrue(e.getMessage().contains("no visible character"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"win11", "win 11 = «gaming»", " vm ", "e\u0301", "\u3164x", "日本", "😀", "\u2801",
            "ñ", "-", "a\u00a0b"})
    void holdersWithSomethingToSeeAreAccepted(String holder) throws Exception {
        assertTrue(Holders.valid(holder), holder);
        assertEquals(holder, Holders.require(holder));
    }

    @Test
    void theFormerRulesStillHold() {
        for (String holder : List.of("", "h".repeat(129), "a\nb", "a\tb", "\u0001", "del\u007f", "\u202eevil",
                "zw\u200bsp", "\ud800x", "\ue000")) {
            assertFalse(Holders.valid(holder), holder);
            GpuPassException e = assertThrows(GpuPassException.class, () -> Holders.require(holder));
            assertTrue(e.getMessage().startsWith("holder must be 1 to 128 printable characters"), e.getMessage());
        }
    }

    @Test
    void aClaimForAnInvisibleHolderChangesNothing() {
        GpuManager m = Hosts.manager(Hosts.builtIn("dual-gpu"), state, Hosts.config(""));
        try {
            for (String holder : List.of("   ", "\u3164", "\u2800")) {
                GpuPassException e = assertThrows(GpuPassException.class, () -> m.claim("01:00.0", holder));
                assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
                assertThrows(GpuPassException.class, () -> m.claimDomain(holder, "<domain><name>x</name></domain>"));
                assertThrows(GpuPassException.class, () -> m.release("01:00.0", holder));
            }
            assertEquals(GpuState.HOST, m.gpu(Hosts.NVIDIA).orElseThrow().state());
            assertEquals("", m.gpu(Hosts.NVIDIA).orElseThrow().holder());
        } finally {
            m.close();
        }
    }

    @Test
    void aClaimRecordedBeforeTheRuleStillLoads() throws Exception {
        StateStore store = new StateStore(state);
        ClaimRecord old = new ClaimRecord(Hosts.NVIDIA, "\u3164", 5, Map.of(Hosts.NVIDIA, "nvidia"), List.of(),
                List.of());
        store.saveClaim(old);
        assertEquals(Map.of(Hosts.NVIDIA, old), store.loadClaims());
    }
}
