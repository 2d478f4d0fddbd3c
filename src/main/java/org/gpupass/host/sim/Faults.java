package org.gpupass.host.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.gpupass.host.Errno;

/** The faults a test has asked for; not thread-safe, the kernel's lock guards it. */
final class Faults {

    /** What to do to a call: fail with {@code errno}, or hang when errno is null. */
    record Fault(SimulatedKernel.Op op, String target, Errno errno) {
        boolean hangs() {
            return errno == null;
        }

        boolean appliesTo(SimulatedKernel.Op callOp, String callTarget) {
            return op == callOp && (target.equals("*") || target.equals(callTarget));
        }
    }

    private final List<Fault> rules = new ArrayList<>();
    private final Map<Long, Fault> byCall = new HashMap<>();

    void addRule(SimulatedKernel.Op op, String target, Errno errno) {
        rules.add(new Fault(op, target, errno));
    }

    void addForCall(long seq, Errno errno) {
        byCall.put(seq, new Fault(null, "*", errno));
    }

    void clear() {
        rules.clear();
        byCall.clear();
    }

    /** The fault for call number {@code seq}, or null; a per-call fault is used up, a rule stays. */
    Fault take(SimulatedKernel.Op op, String target, long seq) {
        Fault once = byCall.remove(seq);
        if (once != null) {
            return once;
        }
        for (Fault rule : rules) {
            if (rule.appliesTo(op, target)) {
                return rule;
            }
        }
        return null;
    }
}
