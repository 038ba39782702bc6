#!/usr/bin/env bash
# The test command: installs the Debian packages the tests' real peers need, then type check,
# lint and vitest. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

# Debian package → the check that it works, by use (a package can be installed and still unusable:
# python3-pymodbus imports serial_asyncio even for its TCP server). Installed with its run-time
# dependencies named here, not with recommends, so the list is the whole truth.
peers=(
  "socat|socat -V"
  "mbpoll|mbpoll -V"
  "mosquitto|/usr/sbin/mosquitto -h | grep -q '^mosquitto version'"
  "mosquitto-clients|mosquitto_sub --help | grep -q '^mosquitto_sub version'"
  "python3-pymodbus python3-serial python3-serial-asyncio|/usr/bin/python3 -c 'import serial, serial_asyncio, pymodbus.server, pymodbus.datastore'"
  "victoria-metrics|victoria-metrics -version"
  "chromium|chromium --headless --no-sandbox --version"
  "fonts-noto-cjk|fc-list :lang=zh family | grep -q 'Noto Sans CJK'"
  "openssl|openssl version"
)
missing=()
for entry in "${peers[@]}"; do
  pkgs=${entry%%|*}; check=${entry#*|}
  bash -c "$check" >/dev/null 2>&1 || missing+=($pkgs)
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
    || echo "could not install ${missing[*]}: the tests that need them will fail" >&2
  for entry in "${peers[@]}"; do
    check=${entry#*|}
    bash -c "$check" >/dev/null 2>&1 || echo "still not usable after install: ${entry%%|*} ($check)" >&2
  done
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
  # the ten slowest files, so a slow test is seen the day it lands
  node -e '
    const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"))
    const files = r.testResults.map((t) => ({ s: (t.endTime - t.startTime) / 1000, name: require("path").relative(process.cwd(), t.name) }))
    console.log("== ten slowest test files")
    for (const f of files.sort((a, b) => b.s - a.s).slice(0, 10)) console.log(`${f.s.toFixed(1).padStart(7)} s  ${f.name}`)'
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
