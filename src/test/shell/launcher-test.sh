#!/bin/bash
# Tests bin/gpupassd and bin/gpupassctl with a fake java (GPUPASS_JAVA) that records its argv:
#  - the jar is found: GPUPASS_JAR, then @PKGDATADIR@ (as installed), then ../share/gpupassd,
#    then ../target (a checkout); none: exit 1 with a message naming GPUPASS_JAR;
#  - gpupassd: the lean JVM flags, -Djna.tmpdir=$CACHE_DIRECTORY, -jar JAR, the arguments
#    unchanged (spaces, quotes, empty) and last; GPUPASS_JAVA_OPTS after the defaults;
#  - gpupassd's AppCDS: the first start records a class list into the cache dir, the second dumps
#    the static archive from it in the background (with the daemon's JVM flags) and starts without,
#    later starts use it while jar and JVM are unchanged; a failed dump drops the list (and its
#    output is kept), a changed jar starts over; none for --help; GPUPASS_CDS=0 disables it;
#  - gpupassctl: -cp JAR org.gpupass.cli.Gpupassctl ARGS, its exit status is passed on, the first
#    run's archive is renamed into place only when written, then used.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d /tmp/gpupass-launcher.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/jvm/bin" "$work/jvm/lib/server"
: >"$work/jvm/lib/server/libjvm.so"
cat >"$work/jvm/bin/java" <<'FAKE'
#!/bin/bash
# fake java: records argv (a -Xshare:dump run in $FAKE_ARGV.dump); writes the class list and the
# archives it is asked to; exits $FAKE_RC ($FAKE_DUMP_RC for a dump)
argv=$FAKE_ARGV
case " $* " in *" -Xshare:dump "*) argv=$FAKE_ARGV.dump; sleep 0.3 ;; esac
: >"$argv"
for a in "$@"; do printf '%s\0' "$a" >>"$argv"; done
for a in "$@"; do
    case "$a" in
        -XX:DumpLoadedClassList=*) echo java/lang/Object >"${a#*=}" ;;
        -XX:ArchiveClassesAtExit=* | -XX:SharedArchiveFile=*.[0-9]*)
            [ "${FAKE_NO_DUMP:-}" = 1 ] || echo archive >"${a#*=}" ;;
    esac
done
[ "$argv" = "$FAKE_ARGV" ] || { echo "dump output"; exit "${FAKE_DUMP_RC:-0}"; }
exit "${FAKE_RC:-0}"
FAKE
chmod +x "$work/jvm/bin/java"
export GPUPASS_JAVA=$work/jvm/bin/java FAKE_ARGV=$work/argv
unset GPUPASS_JAR GPUPASS_JAVA_OPTS GPUPASS_CDS JAVA_HOME
args() { tr '\0' '\n' <"$work/argv"; }
has() { args | grep -qxF -- "$1"; }

# an installed layout and a checkout layout
inst=$work/inst; mkdir -p "$inst/bin" "$inst/share/gpupassd/lib"; echo jar >"$inst/share/gpupassd/gpupassd.jar"
for b in gpupassd gpupassctl; do
    sed "s|@PKGDATADIR@|$inst/share/gpupassd|" "$PROJECT_ROOT/bin/$b" >"$inst/bin/$b"; chmod +x "$inst/bin/$b"
done
co=$work/checkout; mkdir -p "$co/bin" "$co/target"; echo jar >"$co/target/gpupassd.jar"
cp "$PROJECT_ROOT/bin/gpupassd" "$PROJECT_ROOT/bin/gpupassctl" "$co/bin/"

export CACHE_DIRECTORY=$work/cache
"$inst/bin/gpupassd" --bus=unix:path=/x "--holder=a b" '' "it's \"q\"" ; rc=$?
check "gpupassd runs java (rc=$rc)" test "$rc" -eq 0
check "installed: -jar @PKGDATADIR@/gpupassd.jar" sh -c "tr '\\0' '\\n' <'$work/argv' | grep -qxF '$inst/share/gpupassd/gpupassd.jar'"
n=$(args | wc -l)
check "arguments passed unchanged and last" \
    test "$(args | tail -6 | tr '\n' '|')" = "-jar|$inst/share/gpupassd/gpupassd.jar|--bus=unix:path=/x|--holder=a b||it's \"q\"|"
check "  ... including an empty one and quotes" test "$(tr '\0' '\n' <"$work/argv" | sed -n "$((n - 1)),${n}p" | tr '\n' '|')" = "|it's \"q\"|"
for f in -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError \
         -Dfile.encoding=UTF-8 "-Djna.tmpdir=$work/cache"; do
    check "gpupassd flag $f" has "$f"
done
cache=$work/cache
check "first start: -XX:DumpLoadedClassList=$cache/gpupassd.classlist" has "-XX:DumpLoadedClassList=$cache/gpupassd.classlist"
check "  ... stamp written" test -s "$cache/gpupassd.stamp"
check_not "  ... no archive asked for" sh -c "tr '\\0' '\\n' <'$work/argv' | grep -q SharedArchiveFile"
# waits for the background dump of a second start
dumped() { for _ in $(seq 1 50); do [ -s "$cache/gpupassd.jsa" ] && return 0; sleep 0.1; done; return 1; }
"$inst/bin/gpupassd"
check_not "second start: runs without an archive" sh -c "tr '\\0' '\\n' <'$work/argv' | grep -q -e SharedArchiveFile -e DumpLoaded"
check "  ... while the archive is dumped in the background" dumped
check "  ... from the class list" sh -c "tr '\\0' '\\n' <'$work/argv.dump' | grep -qxF -- -XX:SharedClassListFile=$cache/gpupassd.classlist"
for f in -Xshare:dump -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m; do
    check "  ... with $f" sh -c "tr '\\0' '\\n' <'$work/argv.dump' | grep -qxF -- $f"
done
check "  ... its output kept" grep -q "dump output" "$cache/gpupassd.jsa.log"
"$inst/bin/gpupassd"
check "third start: -XX:SharedArchiveFile" has "-XX:SharedArchiveFile=$cache/gpupassd.jsa"
sleep 1; echo jar2 >"$inst/share/gpupassd/gpupassd.jar"
"$inst/bin/gpupassd"
check "changed jar: the class list again" has "-XX:DumpLoadedClassList=$cache/gpupassd.classlist"
check "  ... and the old archive is gone" test ! -e "$cache/gpupassd.jsa"
echo partial >"$cache/gpupassd.jsa.4242"   # a dump cut short
FAKE_DUMP_RC=1 "$inst/bin/gpupassd"
for _ in $(seq 1 50); do [ -e "$cache/gpupassd.classlist" ] || break; sleep 0.1; done
check "a failed dump drops the class list" test ! -e "$cache/gpupassd.classlist"
check "  ... and leaves no archive or temporary file" test -z "$(ls "$cache" | grep jsa | grep -v 'jsa.log$')"
"$inst/bin/gpupassd"
check "  ... so the next start records it again" has "-XX:DumpLoadedClassList=$cache/gpupassd.classlist"
"$inst/bin/gpupassd" --help
check_not "--help: no archive" sh -c "tr '\\0' '\\n' <'$work/argv' | grep -q -e Archive -e ClassList"
GPUPASS_CDS=0 "$inst/bin/gpupassd"
check_not "GPUPASS_CDS=0: no archive" sh -c "tr '\\0' '\\n' <'$work/argv' | grep -q -e Archive -e ClassList"
GPUPASS_JAVA_OPTS="-Xmx96m -Dx=y" "$inst/bin/gpupassd"
check "GPUPASS_JAVA_OPTS come after the defaults" \
    test "$(args | grep -n -- '-Xmx' | cut -d: -f2 | tr '\n' ' ')" = "-Xmx64m -Xmx96m "
GPUPASS_JAR=/some/other.jar "$inst/bin/gpupassd"
check "GPUPASS_JAR wins" has /some/other.jar
"$co/bin/gpupassd"
check "checkout: ../target/gpupassd.jar" has "$co/bin/../target/gpupassd.jar"
rm "$co/target/gpupassd.jar"
out=$("$co/bin/gpupassd" 2>&1); rc=$?
check "no jar: exit 1 naming GPUPASS_JAR ($out)" test "$rc" -eq 1 -a -n "$(grep -F GPUPASS_JAR <<<"$out")"
unset CACHE_DIRECTORY

# gpupassctl
export XDG_CACHE_HOME=$work/xdg
FAKE_NO_DUMP=1 "$inst/bin/gpupassctl" status --json
check "gpupassctl: -cp JAR org.gpupass.cli.Gpupassctl ARGS" \
    test "$(args | tail -5 | tr '\n' ' ')" = "-cp $inst/share/gpupassd/gpupassd.jar org.gpupass.cli.Gpupassctl status --json "
check "gpupassctl: C1, serial GC, no perf data" sh -c "tr '\\0' '\\n' <'$work/argv' | grep -c -e '-XX:TieredStopAtLevel=1' -e '-XX:+UseSerialGC' -e '-XX:-UsePerfData' | grep -qx 3"
check "  ... an archive that was not written is not installed" test ! -e "$work/xdg/gpupassd/gpupassctl.jsa"
check "  ... and no temporary files are left" test -z "$(ls "$work/xdg/gpupassd" | grep -v '^gpupassctl.jsa')"
"$inst/bin/gpupassctl" status
check "first run dumps, then the archive is in place" test -s "$work/xdg/gpupassd/gpupassctl.jsa" -a -s "$work/xdg/gpupassd/gpupassctl.jsa.stamp"
"$inst/bin/gpupassctl" status
check "next run uses it" has "-XX:SharedArchiveFile=$work/xdg/gpupassd/gpupassctl.jsa"
FAKE_RC=3 "$inst/bin/gpupassctl" claim x y; rc=$?
check "exit status passed on (3 = $rc)" test "$rc" -eq 3
rm -rf "$work/xdg"
FAKE_RC=4 "$inst/bin/gpupassctl" claim x y; rc=$?
check "exit status passed on on the first (dumping) run too (4 = $rc)" test "$rc" -eq 4
check "sh -n bin/gpupassd bin/gpupassctl" sh -n "$PROJECT_ROOT/bin/gpupassd" "$PROJECT_ROOT/bin/gpupassctl"
finish
