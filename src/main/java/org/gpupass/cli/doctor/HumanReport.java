package org.gpupass.cli.doctor;

import java.util.ArrayList;
import java.util.List;
import org.gpupass.plan.Blocker;
import org.gpupass.model.PciDevice;

/** The doctor's output for people: one aligned block per check, the GPUs under the {@code gpus} check. */
public final class HumanReport {
    private HumanReport() {
    }

    public static String render(Survey survey, String hostDescription) {
        StringBuilder out = new StringBuilder();
        out.append("gpupassctl doctor: ").append(Check.oneLine(hostDescription)).append('\n');
        int width = survey.checks().stream().mapToInt(c -> c.name().length()).max().orElse(0);
        String indent = " ".repeat(2 + 6 + width + 2);
        for (Check c : survey.checks()) {
            out.append("  ").append(pad(label(c.verdict()), 6)).append(pad(c.name(), width)).append("  ")
                    .append(c.evidence()).append('\n');
            if (!c.advice().isEmpty()) {
                out.append(indent).append("advice: ").append(c.advice()).append('\n');
            }
            if (c.name().equals("gpus")) {
                for (GpuReport r : survey.gpus()) {
                    gpu(out, r);
                }
            }
        }
        out.append(summary(survey)).append('\n');
        return out.toString();
    }

    private static void gpu(StringBuilder out, GpuReport r) {
        PciDevice g = r.gpu();
        out.append("        GPU ").append(g.address()).append("  ").append(Check.oneLine(g.displayName()))
                .append("  driver ").append(g.hasDriver() ? g.driver() : "(none)")
                .append("  state ").append(r.state())
                .append(g.iommuGroup() >= 0 ? "  IOMMU group " + g.iommuGroup() : "  no IOMMU group")
                .append(g.bootVga() ? "  boot display" : "").append('\n');
        String in = "            ";
        if (r.claimable()) {
            out.append(in).append("claimable\n");
        }
        for (Blocker b : r.blockers()) {
            out.append(in).append("blocked: ").append(Check.oneLine(b.sentence())).append('\n');
        }
        if (r.members().isEmpty()) {
            List<String> fns = r.functions().stream().map(f -> f.address().toString()).toList();
            out.append(in).append("functions: ").append(String.join(", ", fns)).append('\n');
            return;
        }
        int classWidth = r.members().stream().mapToInt(m -> m.className().length()).max().orElse(0);
        int driverWidth = r.members().stream().mapToInt(m -> driver(m.device()).length()).max().orElse(0);
        String head = "group " + g.iommuGroup() + ": ";
        List<String> rows = new ArrayList<>();
        for (GpuReport.Member m : r.members()) {
            String role = m.functionOfGpu() ? "function of the GPU"
                    : m.device().isBridge() ? "bridge, stays on the host" : "NOT the GPU's: blocks the claim";
            rows.add(m.device().address() + "  " + pad(m.className(), classWidth) + "  "
                    + pad(driver(m.device()), driverWidth) + "  " + role);
        }
        for (int i = 0; i < rows.size(); i++) {
            out.append(in).append(i == 0 ? head : " ".repeat(head.length())).append(rows.get(i)).append('\n');
        }
    }

    private static String driver(PciDevice d) {
        return d.hasDriver() ? d.driver() : "(no driver)";
    }

    static String summary(Survey s) {
        long fails = s.checks().stream().filter(c -> c.verdict() == Verdict.FAIL).count();
        long warns = s.checks().stream().filter(c -> c.verdict() == Verdict.WARN).count();
        List<String> claimable = s.gpus().stream().filter(GpuReport::claimable)
                .map(r -> r.gpu().address().toString()).toList();
        String counts = fails + " failed, " + warns + " warning" + (warns == 1 ? "" : "s");
        if (fails == 0) {
            return "result: passthrough possible (claimable: " + String.join(", ", claimable) + "); " + counts;
        }
        return "result: something blocks passthrough; " + counts;
    }

    private static String label(Verdict v) {
        return switch (v) {
            case OK -> "ok";
            case INFO -> "info";
            case WARN -> "warn";
            case FAIL -> "FAIL";
        };
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
