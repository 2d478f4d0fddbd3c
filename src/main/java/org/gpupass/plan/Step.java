package org.gpupass.plan;

import java.util.List;
import org.gpupass.model.PciAddress;

/**
 * One documented step of a transition. The planner produces them; {@link Executor} performs them,
 * each kernel write under a deadline. {@link #describe()} is what logs and errors show.
 */
public sealed interface Step {

    String describe();

    /** Stop a systemd unit and wait for its job (the display manager, nvidia-persistenced, ...). */
    record StopUnit(String unit) implements Step {
        public String describe() {
            return "stop " + unit;
        }
    }

    /** Start a systemd unit and wait for its job. */
    record StartUnit(String unit) implements Step {
        public String describe() {
            return "start " + unit;
        }
    }

    /** After stopping holders: wait until no process holds these nodes. */
    record AwaitNoHolders(List<String> nodes) implements Step {
        public AwaitNoHolders {
            nodes = List.copyOf(nodes);
        }

        public String describe() {
            return "wait until no process holds " + String.join(", ", nodes);
        }
    }

    /** modprobe a module (vfio-pci before a claim, host modules on release). */
    record LoadModule(String module) implements Step {
        public String describe() {
            return "load module " + module;
        }
    }

    /** Unload one module; retried a few times on EBUSY, since use counts drop asynchronously. */
    record UnloadModule(String module) implements Step {
        public String describe() {
            return "unload module " + module;
        }
    }

    /** Write driver_override; {@code ""} clears it. */
    record SetOverride(PciAddress function, String driver) implements Step {
        public String describe() {
            return driver.isEmpty() ? "clear driver_override of " + function
                    : "set driver_override of " + function + " to " + driver;
        }
    }

    /** Write the address to drivers/DRIVER/unbind. */
    record Unbind(PciAddress function, String driver) implements Step {
        public String describe() {
            return "unbind " + function + " from " + driver;
        }
    }

    /** Write the address to drivers_probe: the override first, else an ID-table match. */
    record Probe(PciAddress function) implements Step {
        public String describe() {
            return "probe " + function;
        }
    }

    /** Verify the function landed on the driver (probing is synchronous for PCI; bounded re-reads). */
    record AwaitDriver(PciAddress function, String driver) implements Step {
        public String describe() {
            return "wait for " + function + " on " + driver;
        }
    }

    /** Wait for a /dev node (e.g. /dev/vfio/1), by watching its directory. */
    record AwaitNode(String path) implements Step {
        public String describe() {
            return "wait for " + path;
        }
    }

    /** Write 0 to /sys/class/vtconsole/VTCON/bind: the framebuffer console lets go of the boot framebuffer. */
    record UnbindConsole(String vtcon) implements Step {
        public String describe() {
            return "unbind console " + vtcon;
        }
    }

    /** Write 1 to /sys/class/vtconsole/VTCON/bind. */
    record BindConsole(String vtcon) implements Step {
        public String describe() {
            return "bind console " + vtcon;
        }
    }

    /** Write the device to /sys/bus/platform/drivers/DRIVER/unbind (efi-framebuffer.0 from efi-framebuffer). */
    record UnbindFramebuffer(String driver, String device) implements Step {
        public String describe() {
            return "unbind framebuffer " + device + " from " + driver;
        }
    }

    /** Write the device to /sys/bus/platform/drivers/DRIVER/bind. */
    record BindFramebuffer(String driver, String device) implements Step {
        public String describe() {
            return "bind framebuffer " + device + " to " + driver;
        }
    }

    /**
     * Make sure the function is on its host driver: nothing if probing put it there; else write
     * drivers/DRIVER/bind; if the kernel answers ENODEV, remove the function, rescan, and bind again.
     */
    record EnsureDriver(PciAddress function, String driver) implements Step {
        public String describe() {
            return "bind " + function + " to " + driver + " (remove+rescan if it refuses)";
        }
    }
}
