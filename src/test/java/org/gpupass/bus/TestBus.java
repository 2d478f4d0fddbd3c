package org.gpupass.bus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.gpupass.demo.PrivateBus;

/** A private permissive bus in a temp dir for tests (the demo's bus), removed with its folder on close. */
final class TestBus implements AutoCloseable {
    private final Path dir;
    private final PrivateBus bus;

    private TestBus(Path dir, PrivateBus bus) {
        this.dir = dir;
        this.bus = bus;
    }

    static TestBus start() throws IOException {
        Path dir = Files.createTempDirectory("gpupass-bus");
        return new TestBus(dir, PrivateBus.start(dir, false));
    }

    String address() {
        return bus.address();
    }

    @Override
    public void close() throws Exception {
        bus.close();
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
