#!/usr/bin/env bash
# Smoke test with the real Redis tools: a 3-node synod-kv cluster through scripts/cluster,
# redis-cli (with -c, following MOVED from a follower) and a short redis-benchmark against the
# leader. Skipped (exit 77) when redis-tools is not installed.
# usage: redis_tools.sh SYNOD_KV CLIENT_PORT_BASE PEER_PORT_BASE
set -euo pipefail
command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null || { echo "redis-tools not installed: skipped"; exit 77; }
root=$(cd "$(dirname "$0")/../../.." && pwd)
export SYNOD_KV=$1 SYNOD_CLIENT_PORT_BASE=$2 SYNOD_PEER_PORT_BASE=$3
export SYNOD_CLUSTER_DIR=$(mktemp -d /tmp/synod-kv-tools-XXXXXX)
trap '"$root/scripts/cluster" clean >/dev/null 2>&1 || true' EXIT
"$root/scripts/cluster" start 3 --fsync on
# start waits for a leader; under a loaded machine (sanitizer builds) an INFO can still time out
# or an election still be under way when we ask again, so ask for up to 10 s.
leader=
for _ in $(seq 1 100); do
    leader=$("$root/scripts/cluster" status | awk '$4 == "leader" { print $3 }' | head -1)
    [ -n "$leader" ] && break
    sleep 0.1
done
[ -n "$leader" ] || { "$root/scripts/cluster" status; echo "no leader"; exit 1; }
leader_port=${leader##*:}
follower_port=$((SYNOD_CLIENT_PORT_BASE + 1))
[ "$follower_port" = "$leader_port" ] && follower_port=$((SYNOD_CLIENT_PORT_BASE + 2))
test "$(redis-cli -p "$leader_port" SET greeting hello)" = OK
test "$(redis-cli -c -p "$follower_port" GET greeting)" = hello
test "$(redis-cli -p "$leader_port" INCR visits)" = 1
redis-cli -p "$follower_port" SET x 1 | grep -q "^MOVED 0 127.0.0.1:$leader_port"
redis-benchmark -p "$leader_port" -t set,get -n 2000 -c 10 -q | tee /dev/stderr | grep -c "requests per second" | grep -q 2
echo PASSED
