#!/bin/bash
# The benchmark's baselines (raw sysfs writes, driverctl, the seed-style hook) in the real-stack
# guest: the plain tier's scenario, run with gpupassd stopped so that its periodic sysfs refresh
# does not share the two vCPUs with them (bench-stack starts it again).
systemctl stop gpupassd.service
source "$GP_VM/scenarios/bench-baselines.sh"
