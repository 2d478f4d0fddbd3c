# Shared helpers for src/test/shell/*-test.sh (source it).
# Each check prints "ok - ..." or "not ok - ..."; finish prints a summary and sets the exit code.
TESTS_RUN=0
TESTS_FAILED=0
TEST_NAME=$(basename "$0" .sh)
SHELL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(cd "$SHELL_DIR/../../.." && pwd)

ok() { TESTS_RUN=$((TESTS_RUN + 1)); echo "ok - $*"; }
not_ok() { TESTS_RUN=$((TESTS_RUN + 1)); TESTS_FAILED=$((TESTS_FAILED + 1)); echo "not ok - $*"; }
# check "description" command... : ok when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# check_not "description" command... : ok when the command fails
check_not() { local d=$1; shift; if "$@"; then not_ok "$d"; else ok "$d"; fi; }
skip() { echo "skip - $*"; }
# a skip that fails on CI (CI=true): the CI machine must have everything
skip_or_fail() { if [ "${CI:-}" = true ]; then not_ok "$* (required on CI)"; else skip "$*"; fi; }
contains() { grep -qF -- "$2" <<<"$1"; }

finish() {
    if [ "$TESTS_RUN" -eq 0 ]; then
        echo "$TEST_NAME: no checks ran"; exit 1
    fi
    if [ "$TESTS_FAILED" -gt 0 ]; then
        echo "$TEST_NAME: FAILED $TESTS_FAILED of $TESTS_RUN checks"; exit 1
    fi
    echo "$TEST_NAME: all $TESTS_RUN checks passed"
}

# ensure_test_user: creates the unprivileged user gpupass-test (when root) and sets TEST_USER;
# returns 1 when there is none and it cannot be made.
ensure_test_user() {
    TEST_USER=${GPUPASS_TEST_USER:-gpupass-test}
    if ! getent passwd "$TEST_USER" >/dev/null; then
        [ "$(id -u)" = 0 ] || return 1
        useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER" >/dev/null || return 1
    fi
    return 0
}
# as_test_user CMD...: runs CMD as $TEST_USER with its real groups
as_test_user() {
    setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups --reset-env -- "$@"
}
