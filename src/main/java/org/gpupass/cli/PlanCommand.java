package org.gpupass.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.types.Variant;
import org.gpupass1.Error;
import org.gpupass1.Manager;

/**
 * {@code gpupassctl plan claim|release [DEVICE] [HOLDER]}: what the daemon would do now, from its
 * own planner ({@code Manager.Plan}), without doing it: the steps in order, or the error the call
 * would be refused with. Exit 0 when it would go through, else the error's exit code.
 */
final class PlanCommand {
    private final PrintStream out;
    private final PrintStream err;

    PlanCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(Manager manager, String operation, String device, String holder, boolean json) {
        if (!operation.equals("claim") && !operation.equals("release")) {
            throw new IllegalArgumentException(operation); // the caller checks the operation first
        }
        String what = operation + " " + (device.isEmpty() ? "the " + (operation.equals("claim") ? "claimable"
                : "claimed") + " GPU" : device) + (holder.isEmpty() ? "" : (operation.equals("claim") ? " for "
                : " by ") + holder);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("operation", operation);
        result.put("device", device);
        result.put("holder", holder);
        Map<String, Variant<?>> preview;
        try {
            preview = manager.Plan(operation, device, holder);
        } catch (DBusExecutionException e) {
            String name = Error.nameOf(e.getClass());
            int code = Gpupassctl.exitCode(name);
            if (code == 17 || !json) {
                throw e; // the caller says it as for every command
            }
            result.put("error", name);
            result.put("message", e.getMessage());
            out.println(Json.of(result));
            return code;
        }
        String gpu = String.valueOf(preview.get("gpu").getValue());
        String outcome = String.valueOf(preview.get("outcome").getValue());
        List<String> steps = ((List<?>) preview.get("steps").getValue()).stream().map(String::valueOf).toList();
        if (json) {
            result.put("gpu", gpu);
            result.put("outcome", outcome);
            result.put("steps", steps);
            out.println(Json.of(result));
            return 0;
        }
        out.println(what + " (" + gpu + "): " + describe(outcome, steps));
        for (int i = 0; i < steps.size(); i++) {
            out.printf("  %2d. %s%n", i + 1, steps.get(i));
        }
        return 0;
    }

    private static String describe(String outcome, List<String> steps) {
        return switch (outcome) {
            case "transition" -> steps.size() + " step" + (steps.size() == 1 ? "" : "s");
            case "none" -> "nothing to do, it already is so";
            case "adopt" -> "already on vfio-pci: the claim is recorded, no step runs";
            case "forget" -> "already on its host drivers: the claim is dropped, no step runs";
            default -> outcome;
        };
    }
}
