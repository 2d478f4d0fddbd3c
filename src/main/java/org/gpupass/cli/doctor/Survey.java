package org.gpupass.cli.doctor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gpupass.config.Config;
import org.gpupass.config.ConfigException;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.model.PciDevice;
import org.gpupass.host.Host;

/** The whole doctor run: every check in order, and the GPUs. Reads only. */
public record Survey(List<Check> checks, List<GpuReport> gpus) {
    public Survey {
        checks = List.copyOf(checks);
        gpus = List.copyOf(gpus);
    }

    /** Nothing failed: passthrough of at least one GPU is possible. */
    public boolean ok() {
        return checks.stream().noneMatch(c -> c.verdict() == Verdict.FAIL);
    }

    public static Survey run(HostOptions options, Host host) {
        List<Check> checks = new ArrayList<>();
        Config config;
        try {
            config = options.loadConfig();
            boolean exists = java.nio.file.Files.exists(options.configFile());
            checks.add(exists ? Check.ok("config", options.configFile() + " read")
                    : Check.info("config", options.configFile() + " not found: built-in defaults"));
        } catch (ConfigException e) {
            config = Config.defaults();
            checks.add(Check.fail("config", Check.oneLine(e.getMessage()) + " (checked with the defaults instead)",
                    "fix the file: gpupassd refuses to start with it"));
        }
        SystemChecks system = new SystemChecks(options::under);
        LibvirtChecks libvirt = new LibvirtChecks(options::under);
        checks.add(system.cpu());

        HostSnapshot snap;
        try {
            snap = HostSnapshot.read(host, config);
        } catch (IOException | RuntimeException e) {
            checks.add(Check.fail("pci", "cannot read the PCI devices: " + Check.oneLine(String.valueOf(e.getMessage())),
                    "check that sysfs is mounted under " + options.root()));
            checks.add(system.ovmf());
            return new Survey(checks, List.of());
        }
        checks.add(system.iommu(snap));
        checks.add(system.vfio(snap));
        List<GpuReport> reports = GpuChecks.reports(snap, config);
        Check gpus = GpuChecks.gpus(snap, config, reports);
        boolean realProc = options.simulate() == null
                && options.root().toAbsolutePath().normalize().equals(java.nio.file.Path.of("/"));
        if (realProc && !runningAsRoot()) {
            gpus = new Check(gpus.name(), gpus.verdict(), gpus.evidence()
                    + " (not root: other users' processes holding a GPU are not seen)", gpus.advice());
        }
        checks.add(gpus);
        checks.add(GpuChecks.bootVga(snap));
        checks.add(system.secureBoot(snap));
        checks.add(libvirt.hook());
        Map<PciDevice, List<PciDevice>> functions = new LinkedHashMap<>();
        reports.forEach(r -> functions.put(r.gpu(), r.functions()));
        checks.add(libvirt.domains(functions));
        checks.add(system.ovmf());
        return new Survey(checks, reports);
    }

    /** Whether this process runs as uid 0 (it then sees every process's open files). */
    static boolean runningAsRoot() {
        HostFile status = HostFile.read(java.nio.file.Path.of("/proc/self/status"));
        for (String line : status.text().split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).strip().split("\\s+");
                return ids.length > 1 && ids[1].equals("0");
            }
        }
        return "root".equals(System.getProperty("user.name"));
    }

    /** The documented JSON document. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", ok());
        List<Object> cs = new ArrayList<>();
        for (Check c : checks) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", c.name());
            o.put("verdict", c.verdict().word());
            o.put("evidence", c.evidence());
            o.put("advice", c.advice());
            cs.add(o);
        }
        m.put("checks", cs);
        m.put("gpus", gpus.stream().map(GpuReport::toJson).toList());
        return m;
    }
}
