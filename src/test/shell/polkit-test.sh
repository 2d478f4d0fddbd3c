#!/bin/bash
# Tests polkit/org.gpupass1.policy and polkit/50-gpupassd-libvirt.rules.example:
#  - the policy is valid against polkit's DTD (xmllint) and declares org.gpupass1.manage
#    with allow_any=no, allow_inactive=no, allow_active=auth_admin_keep;
#  - with root: a real polkitd on a private bus (private-bus.sh) loads it (pkaction), denies
#    an unprivileged, inactive caller by default, and allows it once the example rule
#    (group changed to the test user's group) is in /etc/polkit-1/rules.d.
# polkitd reads actions only from /usr/share/polkit-1/actions: the test copies the policy
# there for its run and restores what was there before. It does the same with the rule.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

policy=$PROJECT_ROOT/polkit/org.gpupass1.policy
rules=$PROJECT_ROOT/polkit/50-gpupassd-libvirt.rules.example

if command -v xmllint >/dev/null; then
    dtd=/usr/share/polkit-1/policyconfig-1.dtd
    if [ -f "$dtd" ]; then
        check "policy is valid against $dtd" xmllint --noout --nonet --dtdvalid "$dtd" "$policy"
    else
        check "policy is well-formed (xmllint)" xmllint --noout --nonet "$policy"
    fi
else
    skip_or_fail "xmllint not installed (Debian: libxml2-utils)"
fi
facts=$(python3 - "$policy" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
for a in r.findall("action"):
    d = a.find("defaults")
    print(a.get("id"), d.findtext("allow_any"), d.findtext("allow_inactive"), d.findtext("allow_active"),
          bool(a.findtext("message")), bool(a.findtext("description")))
PY
)
check "one action: org.gpupass1.manage no no auth_admin_keep, with message and description ($facts)" \
    test "$facts" = "org.gpupass1.manage no no auth_admin_keep True True"
check "the example rule names the action and the libvirt group" \
    grep -q 'action.id == "org.gpupass1.manage" && subject.isInGroup("libvirt")' "$rules"

polkitd=/usr/lib/polkit-1/polkitd
[ -x "$polkitd" ] || polkitd=/usr/libexec/polkitd
if [ "$(id -u)" != 0 ] || [ ! -x "$polkitd" ] || ! command -v pkcheck >/dev/null; then
    skip_or_fail "polkitd checks need root, polkitd and pkcheck (Debian: polkitd, pkexec)"
    finish; exit
fi
ensure_test_user || { not_ok "test user exists"; finish; exit; }

work=$(mktemp -d /tmp/gpupass-polkit.XXXXXX)
chmod 0755 "$work"   # polkitd may run as its own user: it must reach the bus socket
actions=/usr/share/polkit-1/actions/org.gpupass1.policy
rule_dst=/etc/polkit-1/rules.d/49-gpupassd-test.rules
mkdir -p /etc/polkit-1/rules.d
[ -e "$actions" ] && cp -p "$actions" "$work/saved.policy"
pk=""
sleeper=""
cleanup() {
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    [ -n "$pk" ] && kill "$pk" 2>/dev/null
    "$SHELL_DIR/private-bus.sh" stop "$work/bus"
    rm -f "$rule_dst"
    if [ -e "$work/saved.policy" ]; then cp -p "$work/saved.policy" "$actions"; else rm -f "$actions"; fi
    rm -rf "$work"
}
trap cleanup EXIT
install -m 0644 "$policy" "$actions"

addr=$("$SHELL_DIR/private-bus.sh" start "$work/bus") || { not_ok "private bus starts"; finish; exit; }
DBUS_SYSTEM_BUS_ADDRESS=$addr "$polkitd" --no-debug >"$work/polkitd.log" 2>&1 &
pk=$!
has_owner() {
    [ "$(busctl --address="$addr" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        NameHasOwner s org.freedesktop.PolicyKit1 2>/dev/null)" = "b true" ]
}
for _ in $(seq 1 100); do has_owner && break; sleep 0.1; done
check "polkitd runs on the private bus" has_owner
has_owner || sed "s/^/# polkitd: /" "$work/polkitd.log"

out=$(DBUS_SYSTEM_BUS_ADDRESS=$addr pkaction --action-id org.gpupass1.manage --verbose 2>&1)
echo "$out" | sed 's/^/# /'
check "polkitd knows org.gpupass1.manage" contains "$out" "implicit active:   auth_admin_keep"
check "inactive sessions: no" contains "$out" "implicit inactive: no"
check "any: no" contains "$out" "implicit any:      no"

# subject: a process of the test user (not in an active session: "any" applies)
setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups sleep 60 &
sleeper=$!
sleep 0.2
DBUS_SYSTEM_BUS_ADDRESS=$addr pkcheck --action-id org.gpupass1.manage --process "$sleeper" >"$work/pkcheck" 2>&1
rc=$?
sed 's/^/# /' "$work/pkcheck"
check "without a rule $TEST_USER is not authorized (pkcheck rc=$rc)" test "$rc" -ne 0

group=$(id -gn "$TEST_USER")
sed "s/isInGroup(\"libvirt\")/isInGroup(\"$group\")/" "$rules" >"$rule_dst"
sleep 1   # polkitd reloads rules on inotify
for _ in $(seq 1 30); do
    DBUS_SYSTEM_BUS_ADDRESS=$addr pkcheck --action-id org.gpupass1.manage --process "$sleeper" >"$work/pkcheck" 2>&1 && break
    sleep 0.2
done
DBUS_SYSTEM_BUS_ADDRESS=$addr pkcheck --action-id org.gpupass1.manage --process "$sleeper" >"$work/pkcheck" 2>&1
rc=$?
check "with the example rule (group $group) $TEST_USER is authorized (pkcheck rc=$rc)" test "$rc" -eq 0
check "the rule does not authorize other actions" \
    env DBUS_SYSTEM_BUS_ADDRESS="$addr" sh -c "! pkcheck --action-id org.freedesktop.hostname1.set-hostname --process $sleeper >/dev/null 2>&1"

finish
