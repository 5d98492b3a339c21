#!/usr/bin/env bash
# End to end through `make up` on free ports: the admin API answers the admin's dev token,
# refuses other roles' tokens (403) and requests without a known token (401), and the two
# shipped surveys are there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_all EXIT

export EMULATOR_PORT=$(free_port) API_PORT=$(free_port) LAMBDA_PORT=$(free_port)
export DEV_ADMIN_TOKEN=smoke-$RANDOM$RANDOM
mkdir -p .local
setsid scripts/up.sh >.local/smoke-up.log 2>&1 &
started $! "make up" .local/smoke-up.log
for _ in $(seq 1 900); do
  grep -q '^Ready' .local/smoke-up.log && break
  if ! kill -0 "${PIDS[0]}" 2>/dev/null; then cat .local/smoke-up.log >&2; exit 1; fi
  sleep 1
done
grep -q '^Ready' .local/smoke-up.log || { echo "make up did not become ready" >&2; cat .local/smoke-up.log >&2; exit 1; }

api=http://127.0.0.1:$API_PORT
fail() { echo "smoke: $*" >&2; exit 1; }
code=$(curl -sS -o /dev/null -w '%{http_code}' "$api/surveys")
[ "$code" = 401 ] || fail "GET /surveys without a token answered $code, expected 401"
code=$(curl -sS -o .local/smoke-surveys.json -w '%{http_code}' -H "Authorization: Bearer $DEV_ADMIN_TOKEN" "$api/surveys")
[ "$code" = 200 ] || fail "GET /surveys with the dev token answered $code"
grep -q '"id":"csat-default"' .local/smoke-surveys.json || fail "the default survey is not listed: $(cat .local/smoke-surveys.json)"
grep -q '"id":"relationship"' .local/smoke-surveys.json || fail "the relationship survey is not listed: $(cat .local/smoke-surveys.json)"
code=$(curl -sS -o .local/smoke-forbidden.json -w '%{http_code}' -H "Authorization: Bearer dev-agent-customer_service" "$api/surveys")
[ "$code" = 403 ] || fail "GET /surveys with an agent's token answered $code, expected 403"
grep -q '"error":"forbidden"' .local/smoke-forbidden.json || fail "the agent's refusal is not a forbidden error: $(cat .local/smoke-forbidden.json)"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer dev-manager" "$api/customers/C1")
[ "$code" = 403 ] || fail "GET /customers/C1 with the manager's token answered $code, expected 403"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer dev-unknown" "$api/surveys")
[ "$code" = 401 ] || fail "GET /surveys with an unknown token answered $code, expected 401"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer dev-manager" "$api/_local/schedule/survey-delivery/DeliverySweep")
[ "$code" = 403 ] || fail "a runner endpoint with the manager's token answered $code, expected 403"
code=$(curl -sS -o .local/smoke-bad.json -w '%{http_code}' -X POST -H "Authorization: Bearer $DEV_ADMIN_TOKEN" \
  -H 'content-type: application/json' --data '{"id":"bad","title":{"zh-CN":"x","en":"x"},"dimensions":[],"questions":[]}' "$api/surveys")
[ "$code" = 400 ] || fail "a survey with no questions answered $code, expected 400"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$api/s/AAAAAAAAAAAAAAAAAAAAAA")
[ "$code" = 404 ] || fail "an unknown survey link answered $code, expected 404"
echo "== end to end through the local runner"
CLOSELOOP_API=$api DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT \
  cargo test -p closeloop-tests --test e2e_stream -- --ignored --test-threads 1
CLOSELOOP_API=$api DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT \
  cargo test -p closeloop-tests --test e2e_tickets -- --ignored --test-threads 1
CLOSELOOP_API=$api DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT \
  cargo test -p closeloop-tests --test e2e_notices -- --ignored --test-threads 1
CLOSELOOP_API=$api DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT \
  cargo test -p closeloop-tests --test e2e_reports -- --ignored --test-threads 1
CLOSELOOP_API=$api DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT \
  cargo test -p closeloop-tests --test e2e_console -- --ignored --test-threads 1

echo "smoke: make up serves the admin API (401 without or with an unknown token, 403 to an agent and a manager, 200 to the admin), both shipped surveys, and the public link route"
