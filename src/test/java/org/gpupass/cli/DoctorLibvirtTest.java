package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** doctor: the libvirt hook and the domains' GPU hostdevs. */
@Timeout(30)
class DoctorLibvirtTest extends DoctorTestBase {
    // ------------------------------------------------------------------ the hook

    @Test
    void hookNotExecutableFails() throws Exception {
        DoctorRoot root = good().hook("etc/libvirt/hooks/qemu.d/gpupassd", "#!/bin/sh\n", "rw-r--r--");
        List<String> flat = report(root, 1, "libvirt-hook", "fail");
        assertTrue(field(flat, "advice", "libvirt-hook").contains("chmod 755"));
    }

    @Test
    void hookAsQemuScriptCountsOnlyWhenItCallsGpupassd() throws Exception {
        DoctorRoot root = good().delete("etc/libvirt/hooks/qemu.d");
        assertEquals("warn", verdict(json(root.doctor("--simulate", "--json")), "libvirt-hook"));
        root.hook("etc/libvirt/hooks/qemu", "#!/bin/sh\n/usr/local/libexec/other-hook \"$@\"\n", "rwxr-xr-x");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("warn", verdict(flat, "libvirt-hook"));
        assertTrue(field(flat, "evidence", "libvirt-hook").contains("does not call gpupassd"), flat.toString());
        root.hook("etc/libvirt/hooks/qemu", "#!/bin/sh\nexec /usr/libexec/gpupassd/hook \"$@\"\n", "rwx------");
        flat = json(root.doctor("--simulate", "--json"));
        assertEquals("ok", verdict(flat, "libvirt-hook"), flat.toString());
    }

    // ------------------------------------------------------------------ domains

    @Test
    void managedYesOnAGpuFunctionFailsNamingDomainAndAddress() throws Exception {
        DoctorRoot root = good().domain("win11", "0000:01:00.0 yes", "0000:01:00.1 no");
        List<String> flat = report(root, 1, "libvirt-domains", "fail");
        assertEquals("win11: managed='yes' on 0000:01:00.0", field(flat, "evidence", "libvirt-domains"));
        assertTrue(field(flat, "advice", "libvirt-domains").contains("managed='no'"));
        assertTrue(field(flat, "advice", "libvirt-domains").contains("nodedev-detach"));
    }

    @Test
    void managedNoWithAllFunctionsIsOkAndAMissingAttributeMeansNo() throws Exception {
        DoctorRoot root = good().domain("win11", "0000:01:00.0 no", "0000:01:00.1 -").domain("fedora", "0000:00:17.0 yes");
        List<String> flat = report(root, 0, "libvirt-domains", "ok");
        assertEquals("win11: GPU 0000:01:00.0 (2 functions, managed='no'); 1 domain without a GPU",
                field(flat, "evidence", "libvirt-domains"));
    }

    @Test
    void aDomainPassingOnlySomeFunctionsWarns() throws Exception {
        DoctorRoot root = good().domain("win11", "0000:01:00.0 no");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("warn", verdict(flat, "libvirt-domains"));
        assertEquals("win11: passes 0000:01:00.0 but not 0000:01:00.1 of GPU 0000:01:00.0",
                field(flat, "evidence", "libvirt-domains"));
    }

    @Test
    void aBrokenDomainFileWarnsAndTheOthersAreStillChecked() throws Exception {
        DoctorRoot root = good().write("etc/libvirt/qemu/broken.xml", "<domain><devices>")
                .domain("win11", "0000:01:00.0 yes", "0000:01:00.1 yes");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("fail", verdict(flat, "libvirt-domains"));
        String evidence = field(flat, "evidence", "libvirt-domains");
        assertTrue(evidence.startsWith("win11: managed='yes' on 0000:01:00.0, 0000:01:00.1; broken: domain XML is not well-formed"),
                evidence);
    }

    @Test
    void jsonEscapesHostileDomainFileNames() throws Exception {
        String name = "we\"ird\\na\tme";
        DoctorRoot root = good().domain(name, "0000:01:00.0 yes", "0000:01:00.1 yes");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        assertTrue(run.out().contains("we\\\"ird\\\\na me"), run.out());
        List<String> flat = json(run);
        assertEquals("we\"ird\\na me: managed='yes' on 0000:01:00.0, 0000:01:00.1", field(flat, "evidence", "libvirt-domains"));
    }
}
