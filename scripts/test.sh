#!/usr/bin/env bash
# The test command: installs the Debian packages the tests' real peers need, then type check,
# lint and vitest. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

# Debian package → the check that says it is there
peers=(
  "socat|command -v socat"
  "mbpoll|command -v mbpoll"
  "mosquitto|command -v mosquitto || test -x /usr/sbin/mosquitto"
  "mosquitto-clients|command -v mosquitto_sub"
  "python3-pymodbus|/usr/bin/python3 -c 'import pymodbus'"
  "victoria-metrics|command -v victoria-metrics"
  "chromium|command -v chromium"
  "openssl|command -v openssl"
)
missing=()
for entry in "${peers[@]}"; do
  pkg=${entry%%|*}; check=${entry#*|}
  bash -c "$check" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
    || echo "could not install ${missing[*]}: the tests that need them will fail" >&2
fi

[ -d node_modules ] || npm ci

mkdir -p .tmp
passed=0 failed=0 skipped=0
step() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name" >&2; failed=$((failed + 1)); fi
}
step typecheck node_modules/.bin/tsc --noEmit -p .
step lint node_modules/.bin/eslint --max-warnings 0 .

rm -f .tmp/vitest.json
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest.json "$@"
vitest_rc=$?
if [ -f .tmp/vitest.json ]; then
  read -r p f s fs < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"))
    console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests, r.numFailedTestSuites)')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  # a suite that crashed before its tests ran still fails the run
  # a file that crashed before its tests ran fails the run too
  if [ "$vitest_rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + (fs > 0 ? fs : 1))); fi
else
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
