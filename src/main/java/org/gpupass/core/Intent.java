package org.gpupass.core;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gpupass.host.Framebuffer;

/**
 * The write-ahead record of a running transition: written before its first step and removed
 * after its last (or after its rollback). Found at start-up, it means the daemon died mid-way.
 *
 * @param operation  "claim" or "release"
 * @param drivers    claim: each function's driver before it (absent = none); release: the drivers to return to
 * @param unitsStopped    claim: units the plan stops; release: units to start again
 * @param unitsToRestore  claim: of those, the ones only Release starts again
 * @param modules    claim: modules the plan unloads; release: modules to load again
 * @param consoles     claim: virtual consoles the plan unbinds; release: consoles to bind again
 * @param framebuffers claim: firmware framebuffers the plan unbinds; release: framebuffers to bind again
 */
public record Intent(String operation, PciAddress gpu, String holder, List<PciAddress> functions,
                     Map<PciAddress, String> drivers, List<String> unitsStopped, List<String> unitsToRestore,
                     List<String> modules, long startedMicros, List<String> consoles, List<Framebuffer> framebuffers) {
    public static final String CLAIM = "claim";
    public static final String RELEASE = "release";

    public Intent {
        functions = List.copyOf(functions);
        drivers = Map.copyOf(new TreeMap<>(drivers));
        unitsStopped = List.copyOf(unitsStopped);
        unitsToRestore = List.copyOf(unitsToRestore);
        modules = List.copyOf(modules);
        consoles = List.copyOf(consoles);
        framebuffers = List.copyOf(framebuffers);
    }

    /** A transition that touches no console or framebuffer. */
    public Intent(String operation, PciAddress gpu, String holder, List<PciAddress> functions,
                  Map<PciAddress, String> drivers, List<String> unitsStopped, List<String> unitsToRestore,
                  List<String> modules, long startedMicros) {
        this(operation, gpu, holder, functions, drivers, unitsStopped, unitsToRestore, modules, startedMicros,
                List.of(), List.of());
    }

    /** The claim this intent records when it completed. */
    public ClaimRecord asClaim(long sinceMicros) {
        return new ClaimRecord(gpu, holder, sinceMicros, drivers, unitsToRestore, modules, consoles, framebuffers);
    }
}
