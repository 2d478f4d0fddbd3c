package org.gpupass.cli.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class IommuBootAdviceTest {
    static final String KINOITE = """
            NAME="Fedora Linux"
            VERSION="41.20241106.0 (Kinoite)"
            ID=fedora
            VARIANT="Kinoite"
            VARIANT_ID=kinoite
            PRETTY_NAME="Fedora Linux 41.20241106.0 (Kinoite)"
            """;
    static final String WORKSTATION = """
            NAME="Fedora Linux"
            ID=fedora
            VARIANT_ID=workstation
            PRETTY_NAME="Fedora Linux 41 (Workstation Edition)"
            """;
    static final String DEBIAN = """
            PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
            NAME="Debian GNU/Linux"
            ID=debian
            """;
    static final String MINT = """
            NAME="Linux Mint"
            ID=linuxmint
            ID_LIKE="ubuntu debian"
            PRETTY_NAME="Linux Mint 22"
            """;
    static final String GRUB = """
            GRUB_DEFAULT=0
            GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
            GRUB_CMDLINE_LINUX=""
            """;

    @Test
    void theParametersFollowTheCpuVendor() {
        assertEquals(List.of("intel_iommu=on", "iommu=pt"), IommuBootAdvice.parameters("intel"));
        assertEquals(List.of("amd_iommu=on", "iommu=pt"), IommuBootAdvice.parameters("amd"));
    }

    @Test
    void kinoiteUsesRpmOstree() {
        String a = IommuBootAdvice.advice("intel", KINOITE, "", false);
        assertEquals("add intel_iommu=on iommu=pt to the kernel command line; on Fedora Linux 41.20241106.0 (Kinoite): "
                + "sudo rpm-ostree kargs --append=intel_iommu=on --append=iommu=pt; enable VT-d in the firmware setup; "
                + "then reboot", a);
    }

    @Test
    void anOstreeBootedSystemUsesRpmOstreeWhateverItsVariant() {
        assertTrue(IommuBootAdvice.advice("amd", WORKSTATION, "", true)
                .contains("sudo rpm-ostree kargs --append=amd_iommu=on --append=iommu=pt"));
    }

    @Test
    void fedoraWorkstationUsesGrubby() {
        String a = IommuBootAdvice.advice("amd", WORKSTATION, "", false);
        assertTrue(a.startsWith("add amd_iommu=on iommu=pt to the kernel command line; on Fedora Linux 41 (Workstation "
                + "Edition): sudo grubby --update-kernel=ALL --args='amd_iommu=on iommu=pt'"), a);
        assertTrue(a.endsWith("enable AMD-Vi (IOMMU) in the firmware setup; then reboot"), a);
    }

    @Test
    void debianAndItsDerivativesGetTheirGrubLineAndUpdateGrub() {
        assertTrue(IommuBootAdvice.advice("intel", DEBIAN, GRUB, false).contains(
                ": set GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash intel_iommu=on iommu=pt\" in /etc/default/grub,"
                        + " then run sudo update-grub;"));
        assertTrue(IommuBootAdvice.advice("intel", MINT, "", false).contains("on Linux Mint 22: set "
                + "GRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=on iommu=pt\" in /etc/default/grub"));
    }

    @Test
    void theGrubLineKeepsWhatIsThereAndAddsOnlyWhatIsMissing() {
        List<String> p = IommuBootAdvice.parameters("intel");
        assertEquals("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt intel_iommu=on\"",
                IommuBootAdvice.grubLine("GRUB_CMDLINE_LINUX_DEFAULT='quiet iommu=pt'\n", p));
        assertEquals("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt\"",
                IommuBootAdvice.grubLine("# GRUB_CMDLINE_LINUX_DEFAULT=\"old\"\nGRUB_CMDLINE_LINUX_DEFAULT=quiet\n", p));
        assertEquals("GRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=on iommu=pt\"", IommuBootAdvice.grubLine("", p));
    }

    @Test
    void anUnknownSystemOrVendorGetsGeneralAdvice() {
        String a = IommuBootAdvice.advice(null, "ID=arch\n", "", false);
        assertTrue(a.startsWith("add intel_iommu=on iommu=pt (on an AMD CPU: amd_iommu=on iommu=pt) to the kernel"
                + " command line; on this system: add them where your boot loader keeps"), a);
        assertTrue(a.contains("enable VT-d (Intel) or AMD-Vi (AMD) in the firmware setup; then reboot"), a);
        assertTrue(IommuBootAdvice.advice("intel", "", "", false).contains("on this system: "));
    }
}
