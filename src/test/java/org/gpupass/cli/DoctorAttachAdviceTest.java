package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** doctor's libvirt-domains check names the gpupassctl attach that fixes each domain. */
@Timeout(30)
class DoctorAttachAdviceTest {
    @TempDir
    Path dir;

    private String advice(DoctorRoot root, String verdict) throws Exception {
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        assertTrue(run.err().isEmpty(), run.err());
        List<String> flat = DoctorRoot.flatten(run.out());
        assertTrue(flat.contains("check libvirt-domains " + verdict), flat.toString());
        return flat.stream().filter(l -> l.startsWith("advice libvirt-domains ")).findFirst().orElseThrow()
                .substring("advice libvirt-domains ".length());
    }

    @Test
    void managedYesPointsAtAttachForThatDomainAndGpu() throws Exception {
        String advice = advice(DoctorRoot.good(dir).domain("win11", "0000:01:00.0 yes", "0000:01:00.1 no"), "fail");
        assertTrue(advice.startsWith("set managed='no' and pass every function: gpupassctl attach win11 0000:01:00.0 "
                + "(as root;"), advice);
        assertTrue(advice.contains("nodedev-detach"), advice);
    }

    @Test
    void aMissingFunctionPointsAtAttachAndSaysWhyItMatters() throws Exception {
        String advice = advice(DoctorRoot.good(dir).domain("linux", "0000:01:00.1 no"), "warn");
        assertTrue(advice.startsWith("pass every function of the GPU: gpupassctl attach linux 0000:01:00.0 (as root;"),
                advice);
        assertTrue(advice.contains("Bad RIP value"), advice);
    }

    @Test
    void everyDomainThatNeedsItIsNamedOnceAndAGoodOneIsNot() throws Exception {
        DoctorRoot root = DoctorRoot.good(dir).domain("win11", "0000:01:00.0 yes", "0000:01:00.1 yes")
                .domain("linux", "0000:01:00.0 no").domain("good", "0000:01:00.0 no", "0000:01:00.1 no");
        String advice = advice(root, "fail");
        assertTrue(advice.contains("gpupassctl attach linux 0000:01:00.0; gpupassctl attach win11 0000:01:00.0 ("),
                advice);
        assertFalse(advice.contains("attach good"), advice);
        assertEquals(1, advice.split("attach win11", -1).length - 1, advice);
    }

    @Test
    void aDomainNameThatNeedsQuotingIsQuotedForTheShell() throws Exception {
        String advice = advice(DoctorRoot.good(dir).domain("my vm's", "0000:01:00.0 yes", "0000:01:00.1 no"), "fail");
        assertTrue(advice.contains("gpupassctl attach 'my vm'\\''s' 0000:01:00.0"), advice);
    }
}
