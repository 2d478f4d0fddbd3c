package org.gpupass.bus;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bounds of what waiting calls may hold, the pool of calls whose sender is not known yet first. */
class CallerBudgetTest {
    private static final long MIB = 1L << 20;

    @Test
    void megabyteCallsFromFreshConnectionsLeaveRoomForSmallOnes() {
        CallerBudget budget = new CallerBudget();
        int admitted = 0;
        String refused = null;
        for (int i = 0; refused == null; i++) {
            refused = budget.admitUnknown(new CallerBudget.Hold(":1." + i, MIB));
            if (refused == null) {
                admitted++;
            }
        }
        assertTrue(admitted == 10, "1 MiB calls fill the pool up to its last 2 MiB: " + admitted);
        assertTrue(refused.contains("for calls over 128 KiB"), refused);
        for (int i = 0; i < 32; i++) {
            assertNull(budget.admitUnknown(new CallerBudget.Hold(":2.1", 16 << 10)), "a small call still fits");
        }
        assertNotNull(budget.admitUnknown(new CallerBudget.Hold(":2.1", 16 << 10)), "32 per connection");
        assertNull(budget.admitUnknown(new CallerBudget.Hold(":3.1", 60 << 10)), "another connection's small call");
    }

    @Test
    void smallCallsMayUseTheWholePool() {
        CallerBudget budget = new CallerBudget();
        long held = 0;
        for (int i = 0; ; i++) {
            CallerBudget.Hold hold = new CallerBudget.Hold(":1." + (i / 32), 128 << 10);
            if (budget.admitUnknown(hold) != null) {
                break;
            }
            held += hold.bytes;
        }
        assertTrue(held == CallerBudget.UNKNOWN_BYTES, "small calls fill all 12 MiB: " + held);
    }
}
