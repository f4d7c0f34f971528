#!/bin/sh
# Renders one synod-sim --html page in headless Chromium and checks what it drew: the page's
# script marks #render-status with data-ready="1", the lanes it drew and the script errors it
# saw; the node lanes carry data-lane labels; a failing run shows its broken check in the
# banner; clicks (#selftest) select a message, a node lane and an operation and show their
# details. Also takes a screenshot and checks it is a real image. Exits 77 (ctest: skipped) when
# no Chromium is installed (scripts/test installs it).
#
#   html_check.sh SIM WORKDIR NAME NODES CLIENTS FAILS -- SIM_ARGUMENTS...
#   (FAILS: 1 if the run must fail, 0 if it must pass)
set -u

sim=$1 work=$2 name=$3 nodes=$4 clients=$5 fails=$6
shift 7

browser=${CHROMIUM:-}
[ -n "$browser" ] || browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "chromium is not installed: skipped"
    exit 77
fi

fail() {
    echo "FAILED: $*"
    exit 1
}

mkdir -p "$work"
page="$work/$name.html"
rm -f "$page" "$work/$name.png" "$work/$name.dom"
"$sim" "$@" --html "$page" > "$work/$name.sim.log" 2>&1
rc=$?
cat "$work/$name.sim.log"
if [ "$fails" = 1 ]; then
    [ $rc -eq 1 ] || fail "synod-sim should have found a violation (exit $rc)"
else
    [ $rc -eq 0 ] || fail "synod-sim exited $rc"
fi
[ -s "$page" ] || fail "no page written"

# One fresh profile per browser run; no network, no background services.
run_browser() {
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 180 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --user-data-dir="$profile" --window-size=1400,900 \
        --virtual-time-budget=10000 "$@" 2>> "$work/$name.chromium.log"
    status=$?
    rm -rf "$profile"
    return $status
}
: > "$work/$name.chromium.log"
run_browser --dump-dom "file://$page" > "$work/$name.dom" || fail "chromium --dump-dom failed (see $work/$name.chromium.log)"
run_browser --hide-scrollbars --screenshot="$work/$name.png" "file://$page" > /dev/null ||
    fail "chromium --screenshot failed (see $work/$name.chromium.log)"
run_browser --dump-dom "file://$page#selftest" > "$work/$name.clicked.dom" ||
    fail "chromium --dump-dom #selftest failed (see $work/$name.chromium.log)"

status=$(grep -o '<div id="render-status"[^>]*>' "$work/$name.dom")
echo "render status: $status"
[ -n "$status" ] || fail "no #render-status in the rendered page"
attribute() { echo "$status" | sed -n "s/.* $1=\"\\([^\"]*\\)\".*/\\1/p"; }
[ "$(attribute data-ready)" = 1 ] || fail "the page's script did not finish (data-ready)"
[ "$(attribute data-errors)" = 0 ] || fail "script errors: $(attribute data-errors) ($(attribute data-last-error))"
[ "$(attribute data-lanes)" = "$nodes" ] || fail "node lanes: $(attribute data-lanes), expected $nodes"
[ "$(attribute data-client-lanes)" = "$clients" ] || fail "client lanes: $(attribute data-client-lanes), expected $clients"
[ "$(attribute data-failure)" = "$fails" ] || fail "failure shown: $(attribute data-failure), expected $fails"
[ "$(attribute data-arrows)" -gt 0 ] 2>/dev/null || fail "no message drawn"
[ "$(attribute data-messages)" -gt 0 ] 2>/dev/null || fail "no message recorded"

# Clicks on a message, a node lane and an operation each select it and show its details.
clicked=$(grep -o '<div id="render-status"[^>]*>' "$work/$name.clicked.dom" | sed -n 's/.* data-selftest="\([^"]*\)".*/\1/p')
echo "clicks selected: $clicked"
[ "$clicked" = "message node op" ] || fail "clicks selected '$clicked', expected 'message node op'"

# What the script drew, not the data it read: everything before the data element.
sed '/<script id="timeline-data"/,$d' "$work/$name.dom" > "$work/$name.drawn"
labels=$(grep -o 'data-lane="n[0-9]*"' "$work/$name.drawn" | sort -u | wc -l)
[ "$labels" -eq "$nodes" ] || fail "$labels node lane labels drawn, expected $nodes"
labels=$(grep -o 'data-lane="c[0-9]*"' "$work/$name.drawn" | sort -u | wc -l)
[ "$labels" -eq "$clients" ] || fail "$labels client lane labels drawn, expected $clients"
if [ "$fails" = 1 ]; then
    # The banner names the check synod-sim reported ("VIOLATION at seed S: <check>: ...").
    check=$(sed -n 's/^VIOLATION at seed [0-9]*: \([^:]*\):.*/\1/p' "$work/$name.sim.log" | head -n 1)
    [ -n "$check" ] || fail "synod-sim printed no violation"
    grep -q 'class="verdict bad"' "$work/$name.drawn" || fail "no failure banner"
    grep -qF "class=\"headline\">✖ $check" "$work/$name.drawn" || fail "the banner does not name '$check'"
    grep -q 'first broken check at t = ' "$work/$name.drawn" || fail "the banner does not say when"
    grep -q 'class="fail-label"' "$work/$name.drawn" || fail "no failure mark on the timeline"
else
    grep -q 'class="verdict ok"' "$work/$name.drawn" || fail "no success banner"
fi

# The screenshot: a PNG of the window's size, not a blank page.
png="$work/$name.png"
[ -s "$png" ] || fail "no screenshot"
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
size=$(wc -c < "$png")
[ "$size" -gt 30000 ] || fail "the screenshot is nearly empty ($size bytes)"
echo "ok: $page ($(wc -c < "$page") bytes), $png ($size bytes), $status"
