#!/bin/bash
# Tests libvirt/hooks/qemu.d/gpupassd, the libvirt hook:
#  A. with a fake busctl (GPUPASS_BUSCTL) that records its argv and stdin, under dash and bash,
#     installed as qemu.d/gpupassd and as hooks/qemu:
#     - prepare begin: ClaimDomain with the domain name and the whole XML as ONE argument,
#       byte-exact (quotes, $, backticks, backslashes, newlines incl. trailing ones, tabs, CR,
#       non-ASCII, a 100 KB document), options before "--" (a name like "-x" stays an argument),
#       --timeout, --system or --address=GPUPASS_BUS_ADDRESS;
#     - release end: ReleaseDomain with the name;
#     - every other operation: exit 0, busctl not run, stdin not read (no hang on an open pipe);
#     - XML without <hostdev>: exit 0 without calling the daemon;
#     - XML over 128 KiB with a hostdev: exit 1 with a clear message;
#     - daemon error: exit 1, the daemon's message on stderr; daemon not running: clear message.
#  B. with the real busctl on a private dbus-daemon (private-bus.sh) and a stand-in org.gpupass1
#     (fake-gpupass-service.py; needs root, python3-dbus, python3-gi): the XML arrives byte-exact,
#     a D-Bus error's message reaches stderr, and "not running" is reported as such.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

HOOK=$PROJECT_ROOT/libvirt/hooks/qemu.d/gpupassd
work=$(mktemp -d /tmp/gpupass-hook.XXXXXX)
chmod 0755 "$work"
svc=""
cleanup() {
    [ -n "$svc" ] && kill "$svc" 2>/dev/null
    "$SHELL_DIR/private-bus.sh" stop "$work/bus" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

check "hook is executable" test -x "$HOOK"
check "hook is valid POSIX sh (dash -n)" dash -n "$HOOK"
check "hook never calls virsh/libvirt" sh -c "! grep -vE '^\s*#' '$HOOK' | grep -qE 'virsh|virt-|libvirtd '"

# ---- the fake busctl --------------------------------------------------------------------
fake=$work/fake-busctl
cat >"$fake" <<'FAKE'
#!/bin/bash
# records argv (NUL-separated) and stdin; answers per $FAKE_MODE
rec=${FAKE_REC:?}
: >"$rec.argv"
for a in "$@"; do printf '%s\0' "$a" >>"$rec.argv"; done
cat >"$rec.stdin"
echo called >>"$rec.calls"
case "${FAKE_MODE:-ok}" in
    ok) echo 'ao 1 "/org/gpupass1/gpu/pci_0000_01_00_0"' ;;
    fail) echo "Call failed: GPU 0000:01:00.0 (NVIDIA AD103) is in use: pid 2211 Xorg uid 0 (sddm.service)" >&2; exit 1 ;;
    down) echo "Call failed: The name org.gpupass1 was not provided by any .service files" >&2; exit 1 ;;
    nobus) echo "Failed to connect to bus: No such file or directory" >&2; exit 1 ;;
    timeout) echo "Call failed: Connection timed out" >&2; exit 1 ;;
esac
FAKE
chmod +x "$fake"
export GPUPASS_BUSCTL=$fake

# a nasty domain XML: every shell metacharacter, non-ASCII, CR, tabs, trailing newlines
xml=$work/domain.xml
{
    printf '<?xml version="1.0" encoding="UTF-8"?>\n'
    printf '<domain type="kvm">\n  <name>win11 "quoted" &amp; $HOME `id` $(id) \\n \\\\ %%s</name>\n'
    printf "  <description>it's \"fine\" -- don't \$PATH \${x:-y} ; | & > < * ? [a] ~ ! # \\\\</description>\n"
    printf '  <title>Ünïcödé 日本語 emoji 🎮 ß</title>\r\n\t<metadata>\ttabs\t</metadata>\n'
    printf '  <devices>\n'
    printf "    <hostdev mode='subsystem' type='pci' managed='no'>\n"
    printf "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    printf '    </hostdev>\n'
    printf '  </devices>\n'
    printf '</domain>\n\n\n'
} >"$xml"
big=$work/big.xml
{
    printf "<domain><name>big</name><devices><hostdev mode='subsystem' type='pci' managed='no'/></devices><metadata>\n"
    for i in $(seq 1 1400); do printf '<line n="%d">%s "q" $x `y` é</line>\n' "$i" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; done
    printf '</metadata></domain>\n'
} >"$big"
huge=$work/huge.xml
{
    cat "$big"; cat "$big"
    printf "  <devices>\n    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    printf "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>\n"
    printf '    </hostdev>\n  </devices>\n'
} >"$huge"
huge_reduced=$work/huge-reduced.xml
{
    printf "<domain><devices><hostdev mode='subsystem' type='pci' managed='no'/>"
    printf "<hostdev mode='subsystem' type='pci' managed='no'/><hostdev mode='subsystem' type='pci' managed='yes'>\n"
    printf "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>\n"
    printf '    </hostdev></devices></domain>'
} >"$huge_reduced"
nohostdev=$work/nohostdev.xml
printf '<domain><name>plain</name><devices><disk/></devices></domain>\n' >"$nohostdev"

# run_hook SHELL NAME-AS-INSTALLED INPUT ARGS... ; sets rc, out, errout; records in $work/rec.*
run_hook() {
    local shell=$1 path=$2 input=$3; shift 3
    rm -f "$work"/rec.*
    FAKE_REC=$work/rec "$shell" "$path" "$@" <"$input" >"$work/out" 2>"$work/err"
    rc=$?
    out=$(cat "$work/out"); errout=$(cat "$work/err")
}
argv_item() { tr '\0' '\n' <"$work/rec.argv" | sed -n "${1}p"; }
argc() { tr -cd '\0' <"$work/rec.argv" | wc -c; }
# the last argument, byte-exact
last_arg() { python3 -c 'import sys; a=open(sys.argv[1],"rb").read().split(b"\0")[:-1]; sys.stdout.buffer.write(a[-1])' "$work/rec.argv"; }

mkdir -p "$work/etc/libvirt/hooks/qemu.d"
cp "$HOOK" "$work/etc/libvirt/hooks/qemu.d/gpupassd"
cp "$HOOK" "$work/etc/libvirt/hooks/qemu"

for shell in dash bash; do
  for path in "$work/etc/libvirt/hooks/qemu.d/gpupassd" "$work/etc/libvirt/hooks/qemu"; do
    where="[$shell, as ${path#$work}]"
    unset GPUPASS_BUS_ADDRESS
    run_hook "$shell" "$path" "$xml" 'win11 "quoted" $x' prepare begin -
    check "$where prepare begin exits 0 on success (rc=$rc, stderr=$errout)" test "$rc" -eq 0
    expected=$(printf '%s\n' --system --timeout=120 --quiet -- call org.gpupass1 /org/gpupass1 org.gpupass1.Manager ClaimDomain ss)
    check "$where prepare begin: busctl --system --timeout=120 --quiet -- call ... ClaimDomain ss" \
        test "$(for i in $(seq 1 10); do argv_item "$i"; done)" = "$expected"
    check "$where domain name passed as one argument, unchanged" test "$(argv_item 11)" = 'win11 "quoted" $x'
    check "$where 12 arguments (the XML is one)" test "$(argc)" -eq 12
    check "$where the XML passed byte-exact" cmp -s <(last_arg) "$xml"
    check "$where busctl gets no stdin" test ! -s "$work/rec.stdin"

    run_hook "$shell" "$path" "$big" big prepare begin -
    check "$where a $(wc -c <"$big")-byte XML passed byte-exact (rc=$rc)" cmp -s <(last_arg) "$big"

    export GPUPASS_BUS_ADDRESS="unix:path=/run/test bus/socket"
    run_hook "$shell" "$path" "$xml" -x prepare begin -
    check "$where GPUPASS_BUS_ADDRESS -> --address=..., domain '-x' after --" \
        test "$(argv_item 1)|$(argv_item 4)|$(argv_item 11)" = "--address=unix:path=/run/test bus/socket|--|-x"
    unset GPUPASS_BUS_ADDRESS

    run_hook "$shell" "$path" "$xml" win11 release end -
    check "$where release end -> ReleaseDomain s win11 (rc=$rc)" \
        test "$(tr '\0' ' ' <"$work/rec.argv")" = "--system --timeout=120 --quiet -- call org.gpupass1 /org/gpupass1 org.gpupass1.Manager ReleaseDomain s win11 "

    for op in "prepare end" "start begin" "started begin" "stopped end" "release begin" "migrate begin" \
              "restore begin" "reconnect begin" "attach begin" "stopped begin" "x y" ""; do
        # stdin is a pipe that stays open for 5 s: the hook must not read it
        rm -f "$work"/rec.*
        start=$(date +%s%N)
        FAKE_REC=$work/rec timeout 4 "$shell" "$path" win11 $op - < <(sleep 5) >/dev/null 2>&1
        rc=$?
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        check "$where '$op': exit 0, busctl not run, stdin not read (rc=$rc, ${ms} ms)" \
            test "$rc" -eq 0 -a ! -e "$work/rec.calls" -a "$ms" -lt 2000
    done

    run_hook "$shell" "$path" "$nohostdev" plain prepare begin -
    check "$where XML without <hostdev>: exit 0, daemon not called" test "$rc" -eq 0 -a ! -e "$work/rec.calls"

    run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where XML over 128 KiB: reduced to its hostdevs and passed (rc=$rc)" test "$rc" -eq 0
    check "$where  ... the reduced XML holds exactly the hostdevs" cmp -s <(last_arg) "$huge_reduced"

    FAKE_MODE=fail run_hook "$shell" "$path" "$xml" win11 prepare begin -
    check "$where daemon error: exit 1 (rc=$rc)" test "$rc" -eq 1
    check "$where daemon error: its message on stderr ($errout)" \
        contains "$errout" "ClaimDomain for domain 'win11' failed: GPU 0000:01:00.0 (NVIDIA AD103) is in use: pid 2211 Xorg uid 0 (sddm.service)"
    FAKE_MODE=down run_hook "$shell" "$path" "$xml" win11 prepare begin -
    check "$where daemon not running: exit 1, clear message ($errout)" \
        test "$rc" -eq 1 -a -n "$(grep -F "gpupassd is not running" "$work/err")"
    FAKE_MODE=nobus run_hook "$shell" "$path" "$xml" win11 release end -
    check "$where no system bus: exit 1, says so" test "$rc" -eq 1 -a -n "$(grep -F "cannot reach the system bus" "$work/err")"
    FAKE_MODE=timeout run_hook "$shell" "$path" "$xml" win11 prepare begin -
    check "$where timeout: exit 1, says so" test "$rc" -eq 1 -a -n "$(grep -F "did not answer ClaimDomain" "$work/err")"
    run_hook "$shell" "$path" "$xml" "" prepare begin -
    check "$where empty domain name: exit 1" test "$rc" -eq 1 -a ! -e "$work/rec.calls"
  done
done
unset GPUPASS_BUSCTL

# ---- B: the real busctl on a private bus -------------------------------------------------
PY=/usr/bin/python3
if [ "$(id -u)" != 0 ] || ! command -v busctl >/dev/null || ! $PY -c 'import dbus, gi' 2>/dev/null; then
    skip_or_fail "real-busctl checks need root, busctl, python3-dbus and python3-gi"
    finish; exit
fi
addr=$("$SHELL_DIR/private-bus.sh" start "$work/bus") || { not_ok "private bus starts"; finish; exit; }
export GPUPASS_BUS_ADDRESS=$addr

run_hook sh "$HOOK" "$xml" win11 prepare begin -
check "real busctl, no daemon: exit 1 (rc=$rc)" test "$rc" -eq 1
check "real busctl, no daemon: clear message ($errout)" contains "$errout" "gpupassd is not running"

mkdir -p "$work/record"
FAKE_RECORD_DIR=$work/record $PY "$SHELL_DIR/fake-gpupass-service.py" "$addr" >"$work/svc.out" 2>&1 &
svc=$!
for _ in $(seq 1 100); do grep -q ready "$work/svc.out" 2>/dev/null && break; sleep 0.1; done
check "stand-in org.gpupass1 is up" grep -q ready "$work/svc.out"

for f in "$xml" "$big"; do
    rm -f "$work/record/"*
    run_hook sh "$HOOK" "$f" 'win11 "quoted" $x é' prepare begin -
    check "real busctl: ClaimDomain succeeds (rc=$rc $errout)" test "$rc" -eq 0
    check "real busctl: the daemon receives the $(wc -c <"$f")-byte XML byte-exact" cmp -s "$work/record/ClaimDomain.xml" "$f"
    check "real busctl: the daemon receives the domain name unchanged" \
        test "$(cat "$work/record/ClaimDomain.domain")" = 'win11 "quoted" $x é'
done
run_hook sh "$HOOK" "$xml" -x prepare begin -
check "real busctl: a domain named '-x' (busctl option syntax) works (rc=$rc $errout)" \
    test "$rc" -eq 0 -a "$(cat "$work/record/ClaimDomain.domain")" = "-x"
run_hook sh "$HOOK" "$xml" win11 release end -
check "real busctl: release end -> ReleaseDomain(win11)" \
    test "$rc" -eq 0 -a "$(cat "$work/record/ReleaseDomain.domain")" = win11
run_hook sh "$HOOK" "$xml" fail-vm prepare begin -
check "real busctl: a D-Bus error exits 1 (rc=$rc)" test "$rc" -eq 1
check "real busctl: the daemon's message on stderr ($errout)" \
    contains "$errout" "ClaimDomain for domain 'fail-vm' failed: GPU 0000:01:00.0 is in use: pid 1234 Xorg (sddm.service)"

finish
