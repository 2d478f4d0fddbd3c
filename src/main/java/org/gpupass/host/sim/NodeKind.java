package org.gpupass.host.sim;

import java.util.Locale;

/** Which device nodes a driver gives each device it binds. */
enum NodeKind {
    /** {@code /dev/dri/cardN} and {@code /dev/dri/renderD(128+N)}. */
    DRM,
    /** {@code /dev/nvidiaN}. */
    NVIDIA,
    /** {@code /dev/snd/controlCN}, {@code pcmCND3p}, {@code hwCND0}. */
    SOUND,
    /** No node per device; {@code /dev/vfio/GROUP} while any device of the group is bound; needs an IOMMU group. */
    VFIO;

    static NodeKind parse(String word) {
        try {
            return valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown node kind '" + word + "' (expected drm, nvidia, sound or vfio)");
        }
    }
}
