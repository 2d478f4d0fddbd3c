package org.gpupass.host.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.gpupass.host.Host;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh {@link FakeRoot} per test and the real host ports over it ({@link LinuxHost#at}), units
 * recorded; the directory is removed after the test. Register it as a field:
 * {@code @RegisterExtension final FakeHost fake = new FakeHost(r -> r.procModules(...));}
 */
final class FakeHost implements BeforeEachCallback, AfterEachCallback {
    private final Consumer<FakeRoot> layout;
    Path dir;
    FakeRoot root;
    RecordingUnits units;
    Host host;

    FakeHost() {
        this(r -> { });
    }

    /** @param layout what every test of the class starts with, laid out before the host is made */
    FakeHost(Consumer<FakeRoot> layout) {
        this.layout = layout;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("gpupass-root");
        root = new FakeRoot(dir);
        layout.accept(root);
        units = new RecordingUnits();
        host = LinuxHost.at(dir, units);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
