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
# start waits for a leader; under a loaded machine (sanitizer builds) an INFO can still time out,
# an election still be under way, or a node that started late not have heard from the leader
# yet (it answers neither with MOVED). So wait up to 10 s for a leader and a follower that knows
# it, and use that follower.
leader= follower= status=
for _ in $(seq 1 100); do
    status=$("$root/scripts/cluster" status || true)
    leader=$(awk '$4 == "leader" { print $3 }' <<<"$status" | head -1)
    follower=$(awk -v l="$leader" '$4 == "follower" && $9 == l { print $3 }' <<<"$status" | head -1)
    [ -n "$leader" ] && [ -n "$follower" ] && break
    sleep 0.1
done
[ -n "$leader" ] && [ -n "$follower" ] ||
    { echo "$status"; echo "no leader, or no follower that knows it"; exit 1; }
leader_port=${leader##*:}
follower_port=${follower##*:}
test "$(redis-cli -p "$leader_port" SET greeting hello)" = OK
test "$(redis-cli -c -p "$follower_port" GET greeting)" = hello
test "$(redis-cli -p "$leader_port" INCR visits)" = 1
redis-cli -p "$follower_port" SET x 1 | grep -q "^MOVED 0 127.0.0.1:$leader_port"
redis-benchmark -p "$leader_port" -t set,get -n 2000 -c 10 -q | tee /dev/stderr | grep -c "requests per second" | grep -q 2
echo PASSED
