#!/usr/bin/env bash
# Starts Tollgate headless as a benchmark target (used by bench/run through run_bench.py --target).
# Usage: tollgate-target.sh BINARY PORT UPSTREAM master|virtual
#   Writes a LiteLLM-style config with two models in access group "bench-group": gpt-4o-mini (openai/, api_base
#   UPSTREAM/v1; serves /v1/chat/completions and /v1/responses) and bench-model (anthropic/bench-model, api_base
#   UPSTREAM, so Tollgate calls UPSTREAM/v1/messages; serves /v1/messages natively), at the same prices; starts on
#   a fresh database, and ends by exec'ing tollgate on 127.0.0.1:PORT (so the measured process tree is tollgate
#   alone).
#   master:  clients use the master key  sk-bench-master-key-0001 (admin; no budget or rate limit on the path).
#   virtual: before the measured start, a provisioning run of tollgate (port 0, same database) creates the virtual
#            key sk-bench-virtual-key-0001 via POST /key/generate: max_budget, rpm_limit, tpm_limit and
#            models ["bench-group"] (an access group) - so every request goes through key lookup, model access,
#            budget reservation and rate limiting. The limits are high enough never to reject during a run.
# Runs in the harness's work directory (bench/.run/); files: tollgate-<mode>.yaml / .db / -provision.log, or
# tollgate-$TOLLGATE_TARGET_NAME.* when that is set (two builds compared in one run need a database each: the second
# instance on one database finds the spend journal taken and commits every call before answering it).
set -euo pipefail
binary=$1 port=$2 upstream=$3 mode=$4
master=sk-bench-master-key-0001
virtual=sk-bench-virtual-key-0001
name=${TOLLGATE_TARGET_NAME:-$mode}
cfg=$PWD/tollgate-$name.yaml db=$PWD/tollgate-$name.db
cat >"$cfg" <<EOF
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: $upstream/v1
      api_key: sk-bench-upstream-not-a-secret
      input_cost_per_token: 0.00000015
      output_cost_per_token: 0.0000006
    model_info:
      access_groups: ["bench-group"]
  - model_name: bench-model
    litellm_params:
      model: anthropic/bench-model
      api_base: $upstream
      api_key: sk-bench-upstream-not-a-secret
      input_cost_per_token: 0.00000015
      output_cost_per_token: 0.0000006
    model_info:
      access_groups: ["bench-group"]
general_settings:
  master_key: $master
EOF
rm -f "$db" "$db"-wal "$db"-shm "$db"-journal
# TOLLGATE_TARGET_CONFIG_ONLY=1: only write the config (bench/tollgate-pg2.sh adds its database to it).
[[ ${TOLLGATE_TARGET_CONFIG_ONLY:-0} == 1 ]] && exit 0

if [[ $mode == virtual ]]; then
  log=$PWD/tollgate-$name-provision.log
  "$binary" --headless --config "$cfg" --port 0 --db "$db" >"$log" 2>&1 &
  pid=$!
  trap 'kill -TERM $pid 2>/dev/null || true' EXIT
  gport=
  for _ in $(seq 1 200); do
    gport=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\)/v1.*#\1#p' "$log" | head -1)
    [[ -n $gport ]] && break
    kill -0 $pid 2>/dev/null || { echo "provisioning tollgate exited:"; cat "$log"; exit 1; } >&2
    sleep 0.05
  done
  [[ -n $gport ]] || { echo "provisioning tollgate did not start:" >&2; cat "$log" >&2; exit 1; }
  body='{"key": "'$virtual'", "key_alias": "bench", "max_budget": 100000, "rpm_limit": 100000000, "tpm_limit": 1000000000, "models": ["bench-group"]}'
  code=$(curl -s -o "$PWD/tollgate-$name-key.json" -w '%{http_code}' -H "Authorization: Bearer $master" \
    -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$gport/key/generate")
  [[ $code == 200 ]] || { echo "POST /key/generate -> $code: $(cat "$PWD/tollgate-$name-key.json")" >&2; exit 1; }
  kill -TERM $pid
  wait $pid || true
  trap - EXIT
fi
# TOLLGATE_WRAPPER (e.g. "valgrind --tool=callgrind", used by bench/callgrind) runs the measured instance under a tool.
exec ${TOLLGATE_WRAPPER:-} "$binary" --headless --config "$cfg" --port "$port" --db "$db"
