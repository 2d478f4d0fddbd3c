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
#     - XML over 128 KiB (busctl's argument limit) with a hostdev: handed whole, byte-exact, on
#       stdin to gpupassctl claim-domain (GPUPASS_CTL, a fake here), busctl not run; up to 131071
#       bytes still busctl; gpupassctl missing or failing: exit 1 with a clear message;
#     - daemon error: exit 1, the daemon's message on stderr; daemon not running: clear message.
#  B. with the real busctl on a private dbus-daemon (private-bus.sh) and a stand-in org.gpupass1
#     (fake-gpupass-service.py; needs root, python3-dbus, python3-gi): the XML arrives byte-exact,
#     also over 128 KiB through the real gpupassctl (needs target/gpupassd.jar), a D-Bus error's
#     message reaches stderr, and "not running" is reported as such.
#  C. the real daemon (target/gpupassd.jar --simulate) on that bus: the same domain behaves the
#     same below and above 128 KiB: a <hostdev> inside <metadata> or a comment claims nothing, one
#     in <devices> claims the GPU.
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

# ---- the fake busctl and gpupassctl ----------------------------------------------------
# One script under two names: it records argv (NUL-separated), stdin and the call in $FAKE_REC.*
# (as busctl) or $FAKE_REC.ctl* (as gpupassctl) and answers per $FAKE_MODE as that tool does.
fake=$work/fake-busctl
fakectl=$work/fake-gpupassctl
cat >"$fake" <<'FAKE'
#!/bin/bash
case "${0##*/}" in *gpupassctl) rec=${FAKE_REC:?}.ctl ;; *) rec=${FAKE_REC:?}. ;; esac
: >"${rec}argv"
for a in "$@"; do printf '%s\0' "$a" >>"${rec}argv"; done
cat >"${rec}stdin"
echo called >>"${rec}calls"
# fail MESSAGE GPUPASSCTL-EXIT: the error as busctl ("Call failed: ", exit 1) or gpupassctl says it
fail() { if [ "$rec" = "$FAKE_REC." ]; then echo "Call failed: $1" >&2; exit 1; fi; echo "gpupassctl: $1" >&2; exit "$2"; }
case "${FAKE_MODE:-ok}/${0##*/}" in
    ok/*gpupassctl) echo "0000:01:00.0 is on vfio-pci for ${!#}" ;;
    ok/*) echo 'ao 1 "/org/gpupass1/gpu/pci_0000_01_00_0"' ;;
    fail/*) fail "GPU 0000:01:00.0 (NVIDIA AD103) is in use: pid 2211 Xorg uid 0 (sddm.service)" 11 ;;
    down/*gpupassctl) fail "gpupassd is not running on this bus (The name org.gpupass1 was not provided by any .service files)" 17 ;;
    down/*) fail "The name org.gpupass1 was not provided by any .service files" ;;
    nobus/*gpupassctl) fail "cannot connect to the system bus (unix:path=/var/run/dbus/system_bus_socket): /var/run/dbus/system_bus_socket does not exist; check that the D-Bus system bus runs" 1 ;;
    nobus/*) echo "Failed to connect to bus: No such file or directory" >&2; exit 1 ;;
    timeout/*gpupassctl) fail "No reply within specified time" 1 ;;
    timeout/*) fail "Connection timed out" ;;
    usage/*gpupassctl) printf 'gpupassctl: --timeout=soon: expected a number of seconds\n\nUsage: gpupassctl [OPTIONS] COMMAND\n' >&2; exit 2 ;;
esac
FAKE
chmod +x "$fake"
ln -s "$fake" "$fakectl"
export GPUPASS_BUSCTL=$fake GPUPASS_CTL=$fakectl

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
# pad FILE SIZE: FILE made exactly SIZE bytes by a comment of x's before the final </domain>
pad() {
    local file=$1 size=$2 have
    head -c -10 "$file" >"$file.tmp"   # all but "</domain>\n"
    have=$(wc -c <"$file.tmp")
    { printf '<!--'; head -c $(( size - have - 18 )) /dev/zero | tr '\0' x; printf -- '-->\n</domain>\n'; } >>"$file.tmp"
    mv "$file.tmp" "$file"
}
edge_busctl=$work/edge-131071.xml
edge_ctl=$work/edge-131072.xml
for f in "$edge_busctl" "$edge_ctl"; do
    printf "<domain><devices><hostdev mode='subsystem' type='pci' managed='no'/></devices></domain>\n" >"$f"
done
pad "$edge_busctl" 131071
pad "$edge_ctl" 131072
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
    check "$where XML over 128 KiB: exit 0 (rc=$rc $errout)" test "$rc" -eq 0
    check "$where  ... busctl not run" test ! -e "$work/rec.calls"
    check "$where  ... gpupassctl --timeout=120 claim-domain -- huge" \
        test "$(tr '\0' ' ' <"$work/rec.ctlargv")" = "--timeout=120 claim-domain -- huge "
    check "$where  ... the whole XML on its stdin, byte-exact (not cut down)" cmp -s "$work/rec.ctlstdin" "$huge"
    export GPUPASS_BUS_ADDRESS="unix:path=/run/test bus/socket"
    run_hook "$shell" "$path" "$huge" -x prepare begin -
    check "$where  ... GPUPASS_BUS_ADDRESS -> --bus=..., domain -x after -- (rc=$rc $(tr "\\0" "|" <"$work/rec.ctlargv"))" \
        test "$(tr '\0' '|' <"$work/rec.ctlargv")" = "--bus=unix:path=/run/test bus/socket|--timeout=120|claim-domain|--|-x|"
    unset GPUPASS_BUS_ADDRESS
    run_hook "$shell" "$path" "$edge_busctl" edge prepare begin -
    check "$where 131071 bytes: still busctl (rc=$rc)" \
        test "$rc" -eq 0 -a ! -e "$work/rec.ctlcalls" -a "$(wc -c <"$edge_busctl")" -eq 131071
    check "$where  ... byte-exact" cmp -s <(last_arg) "$edge_busctl"
    run_hook "$shell" "$path" "$edge_ctl" edge prepare begin -
    check "$where 131072 bytes: gpupassctl (rc=$rc)" \
        test "$rc" -eq 0 -a ! -e "$work/rec.calls" -a "$(wc -c <"$edge_ctl")" -eq 131072
    check "$where  ... byte-exact" cmp -s "$work/rec.ctlstdin" "$edge_ctl"
    GPUPASS_CTL=$work/no-such-gpupassctl run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where over 128 KiB without gpupassctl: exit 1, says so, busctl not run ($errout)" \
        test "$rc" -eq 1 -a ! -e "$work/rec.calls" -a -n "$(grep -F "gpupassctl, which is not installed here" "$work/err")"
    FAKE_MODE=fail run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where over 128 KiB, daemon error: exit 1, its message ($errout)" test "$rc" -eq 1 -a \
        "$errout" = "gpupassd hook: ClaimDomain for domain 'huge' failed: GPU 0000:01:00.0 (NVIDIA AD103) is in use: pid 2211 Xorg uid 0 (sddm.service)"
    FAKE_MODE=down run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where over 128 KiB, daemon not running: says so ($errout)" \
        test "$rc" -eq 1 -a -n "$(grep -F "gpupassd is not running (org.gpupass1" "$work/err")"
    FAKE_MODE=nobus run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where over 128 KiB, no system bus: says so" test "$rc" -eq 1 -a -n "$(grep -F "cannot reach the system bus" "$work/err")"
    FAKE_MODE=timeout run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where over 128 KiB, timeout: says so" test "$rc" -eq 1 -a -n "$(grep -F "did not answer ClaimDomain" "$work/err")"
    FAKE_MODE=usage run_hook "$shell" "$path" "$huge" huge prepare begin -
    check "$where over 128 KiB, gpupassctl usage error: its first line only ($errout)" test "$rc" -eq 1 -a \
        "$errout" = "gpupassd hook: ClaimDomain for domain 'huge' failed: --timeout=soon: expected a number of seconds"

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


# ---- B, over 128 KiB: the real gpupassctl (needs the jar) ---------------------------------
JAR=$PROJECT_ROOT/target/gpupassd.jar
if [ ! -f "$JAR" ]; then
    skip_or_fail "the checks over 128 KiB with the real gpupassctl and daemon need $JAR (mvn package)"
    finish; exit
fi
export GPUPASS_CTL=$PROJECT_ROOT/bin/gpupassctl XDG_CACHE_HOME=$work/cache
rm -f "$work/record/"*
run_hook sh "$HOOK" "$huge" 'huge "quoted" é' prepare begin -
check "real gpupassctl: ClaimDomain over 128 KiB succeeds (rc=$rc $errout)" test "$rc" -eq 0
check "real gpupassctl: the daemon receives the $(wc -c <"$huge")-byte XML byte-exact" cmp -s "$work/record/ClaimDomain.xml" "$huge"
check "real gpupassctl: the domain name unchanged" test "$(cat "$work/record/ClaimDomain.domain")" = 'huge "quoted" é'
run_hook sh "$HOOK" "$huge" -x prepare begin -
check "real gpupassctl: a domain named '-x' (rc=$rc $errout)" test "$rc" -eq 0 -a "$(cat "$work/record/ClaimDomain.domain")" = "-x"
run_hook sh "$HOOK" "$huge" fail-vm prepare begin -
check "real gpupassctl: the daemon's message on stderr, exit 1 (rc=$rc $errout)" test "$rc" -eq 1 -a \
    "$errout" = "gpupassd hook: ClaimDomain for domain 'fail-vm' failed: GPU 0000:01:00.0 is in use: pid 1234 Xorg (sddm.service)"
kill "$svc" 2>/dev/null; wait "$svc" 2>/dev/null; svc=""
run_hook sh "$HOOK" "$huge" huge prepare begin -
check "real gpupassctl, no daemon: exit 1, 'not running' ($errout)" test "$rc" -eq 1 -a -n "$(grep -F "gpupassd is not running" "$work/err")"

# ---- C: the real daemon decides, the same below and above 128 KiB -------------------------
hostdev() { printf "<hostdev mode='subsystem' type='pci' managed='%s'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x%s'/></source></hostdev>" "$1" "$2"; }
# A domain whose only <hostdev> elements are in namespaced <metadata>, a comment and CDATA: it uses no GPU.
unused=$work/unused.xml
{
    printf "<domain type='kvm'>\n  <name>unused</name>\n  <description><![CDATA[%s]]></description>\n" "$(hostdev no 1)"
    printf '  <metadata>\n    <app:config xmlns:app="https://example.org/app/1.0">%s</app:config>\n  </metadata>\n' "$(hostdev no 0)"
    printf '  <!-- %s -->\n' "$(hostdev no 0)"
    printf "  <devices>\n    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/unused.qcow2'/></disk>\n  </devices>\n</domain>\n"
} >"$unused"
used=$work/used.xml
{
    printf "<domain type='kvm'>\n  <name>used</name>\n  <metadata><app:x xmlns:app='urn:x'>%s</app:x></metadata>\n" "$(hostdev yes 1)"
    printf '  <devices>\n    %s\n    %s\n  </devices>\n</domain>\n' "$(hostdev no 0)" "$(hostdev no 1)"
} >"$used"
managed=$work/managed.xml
printf "<domain><name>managed</name><devices>%s</devices></domain>\n" "$(hostdev yes 0)" >"$managed"
for f in "$unused" "$used" "$managed"; do cp "$f" "${f%.xml}-big.xml"; pad "${f%.xml}-big.xml" 200000; done
printf '' >"$work/empty.conf"
java -XX:TieredStopAtLevel=1 -jar "$JAR" --bus="$addr" --simulate --state-dir="$work/state" --config="$work/empty.conf" \
    >"$work/daemon.log" 2>&1 &
svc=$!
for _ in $(seq 1 150); do
    [ "$(busctl --address="$addr" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.gpupass1 2>/dev/null)" = "b true" ] && break
    sleep 0.1
done
check "gpupassd (simulated dual-gpu) is on the bus" kill -0 "$svc"
nvidia() { busctl --address="$addr" get-property org.gpupass1 /org/gpupass1/gpu/pci_0000_01_00_0 org.gpupass1.Gpu "$1"; }
for f in "$unused" "$work/unused-big.xml"; do
    run_hook sh "$HOOK" "$f" unused prepare begin -
    check "real daemon: $(wc -c <"$f") bytes, hostdevs only in <metadata>, a comment, CDATA: exit 0, nothing claimed (rc=$rc $errout; $(nvidia State))" \
        test "$rc" -eq 0 -a "$(nvidia State)" = 's "host"'
done
for f in "$used" "$work/used-big.xml"; do
    run_hook sh "$HOOK" "$f" used prepare begin -
    check "real daemon: $(wc -c <"$f") bytes, the GPU's hostdevs in <devices>: claimed for the domain (rc=$rc $errout)" \
        test "$rc" -eq 0 -a "$(nvidia State)" = 's "vfio"' -a "$(nvidia Holder)" = 's "used"'
    run_hook sh "$HOOK" "$f" used release end -
    check "real daemon: release end gives it back (rc=$rc $errout)" test "$rc" -eq 0 -a "$(nvidia State)" = 's "host"'
done
for f in "$managed" "$work/managed-big.xml"; do
    run_hook sh "$HOOK" "$f" managed prepare begin -
    check "real daemon: $(wc -c <"$f") bytes, managed='yes': exit 1 with the daemon's message ($errout)" \
        test "$rc" -eq 1 -a "$(nvidia State)" = 's "host"' -a -n "$(grep -F "ClaimDomain for domain 'managed' failed: " "$work/err" | grep -F "managed='yes'")"
done

finish
