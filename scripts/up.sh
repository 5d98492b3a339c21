#!/usr/bin/env bash
# `make up`: Closeloop on this machine. Starts the AWS emulator, the functions under
# `cargo lambda watch`, and the local runner (HTTP API from template.yaml, stream delivery,
# schedules, the staff console's sign-in service); loads the default, the relationship and the
# ticket follow-up surveys; prints the links and the console's logins. Ctrl-C stops everything
# it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_all EXIT
trap exit_on_signal INT TERM HUP

EMULATOR_PORT=${EMULATOR_PORT:-4566}
API_PORT=${API_PORT:-8080}
LAMBDA_PORT=${LAMBDA_PORT:-9000}
DEV_ADMIN_TOKEN=${DEV_ADMIN_TOKEN:-dev-admin-token}
GROUPS_CLAIM=${GROUPS_CLAIM:-cognito:groups}
SCHEDULE_EVERY_SECS=${SCHEDULE_EVERY_SECS:-60}
SENDER_EMAIL=${SENDER_EMAIL:-surveys@closeloop.local}
# The password of every staff console login at the runner's stand-in issuer.
LOCAL_LOGIN_PASSWORD=${LOCAL_LOGIN_PASSWORD:-closeloop}
export CARGO_PROFILE_DEV_DEBUG=${CARGO_PROFILE_DEV_DEBUG:-0}
mkdir -p .local

echo "== building the functions and the local runner"
cargo build --workspace --bins
# Where cargo put them: CARGO_TARGET_DIR or a configured target-dir moves them out of target/.
RUNNER="$(target_dir)/debug/closeloop-local"
[ -x "$RUNNER" ] || { echo "error: the local runner was built but is not at $RUNNER" >&2; exit 1; }

echo "== AWS emulator on 127.0.0.1:$EMULATOR_PORT"
start_emulator "$EMULATOR_PORT" .local/emulator.log
export_emulator_env "$EMULATOR_PORT"
PROVISIONED=$(.venv/bin/python scripts/provision.py "$SENDER_EMAIL")
read -r TOPIC_ARN QR_NONCE_SECRET_ID CONSOLE_SESSION_SECRET_ID <<<"$PROVISIONED"

cat > .local/functions.env <<ENV
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
TABLE_NAME=closeloop
ALERTS_TOPIC_ARN=$TOPIC_ARN
SENDER_EMAIL=$SENDER_EMAIL
PUBLIC_BASE_URL=http://127.0.0.1:$API_PORT
COMPANY_CONTACT_EMAIL=care@closeloop.local
COMPANY_CONTACT_PHONE=+864001234567
RETENTION_DAYS=730
DEFAULT_SURVEY_ID=csat-default
DEFAULT_TIME_ZONE=Asia/Shanghai
BUSINESS_TIME_ZONE=Asia/Shanghai
INVITE_DELAY_HOURS=24
QUIET_HOURS=21:00-09:00
FATIGUE_DAYS=30
SMS_PER_SECOND=20
EMAIL_PER_SECOND=14
SWEEP_BUDGET_SECONDS=20
SURVEY_TIME_BUDGET_SECONDS=180
GROUPS_CLAIM=$GROUPS_CLAIM
QR_NONCE_SECRET_ID=$QR_NONCE_SECRET_ID
OIDC_ISSUER=http://127.0.0.1:$API_PORT/_local/oidc
OIDC_CLIENT_ID=closeloop-console
CONSOLE_SESSION_SECRET_ID=$CONSOLE_SESSION_SECRET_ID
ENV

echo "== functions (cargo lambda watch on 127.0.0.1:$LAMBDA_PORT)"
setsid .venv/bin/cargo-lambda lambda watch -A 127.0.0.1 -P "$LAMBDA_PORT" \
  --env-file .local/functions.env >.local/functions.log 2>&1 &
started $! "the functions (cargo lambda watch)" .local/functions.log "$LAMBDA_PORT"

echo "== local runner (HTTP API on 127.0.0.1:$API_PORT)"
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL TABLE_NAME=closeloop LOCAL_API_ADDR=127.0.0.1:$API_PORT \
  LAMBDA_ENDPOINT=http://127.0.0.1:$LAMBDA_PORT DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN \
  GROUPS_CLAIM=$GROUPS_CLAIM SCHEDULE_EVERY_SECS=$SCHEDULE_EVERY_SECS \
  LOCAL_LOGIN_PASSWORD=$LOCAL_LOGIN_PASSWORD \
  setsid "$RUNNER" >.local/runner.log 2>&1 &
started $! "the local runner" .local/runner.log "$API_PORT"
wait_for "http://127.0.0.1:$API_PORT/_local/health" 120 "the local runner"

# The short transactional survey events invite to, the full relationship survey for campaigns,
# and the ticket follow-up survey.
for file in default relationship ticket-follow-up; do
  id=$(.venv/bin/python -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "surveys/$file.json")
  echo "== loading the survey $id (surveys/$file.json)"
  status=$(curl -sS -o ".local/survey-$file.json" -w '%{http_code}' --max-time 300 \
    -X POST "http://127.0.0.1:$API_PORT/surveys" \
    -H "Authorization: Bearer $DEV_ADMIN_TOKEN" -H 'content-type: application/json' \
    --data-binary "@surveys/$file.json")
  case "$status" in
    201) echo "survey $id loaded" ;;
    409) echo "survey $id already there" ;;
    *) echo "error: loading surveys/$file.json answered $status:" >&2; cat ".local/survey-$file.json" >&2; exit 1 ;;
  esac
done

# Demo data: three customers and what they told the hotline, chat, a store and the app, through
# the same API staff use; the unhappy ones become tickets in their departments' queues.
echo "== demo customers and feedback (demo/requests.json)"
.venv/bin/python - "http://127.0.0.1:$API_PORT" "$DEV_ADMIN_TOKEN" demo/requests.json <<'PY'
import json, sys, urllib.request, urllib.error
api, token, path = sys.argv[1:]
for r in json.load(open(path)):
    request = urllib.request.Request(api + r["path"], method=r["method"], data=json.dumps(r["body"]).encode(),
                                     headers={"Authorization": "Bearer " + token, "content-type": "application/json"})
    try:
        status = urllib.request.urlopen(request, timeout=120).status
    except urllib.error.HTTPError as e:
        status = e.code
    if status not in (200, 201, 409):
        sys.exit("error: %s %s answered %s" % (r["method"], r["path"], status))
print("demo data loaded")
PY

TOKENS=$(DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN GROUPS_CLAIM=$GROUPS_CLAIM "$RUNNER" tokens | sed 's/^/    /')
LOGINS=$(DEV_ADMIN_TOKEN=$DEV_ADMIN_TOKEN GROUPS_CLAIM=$GROUPS_CLAIM LOCAL_LOGIN_PASSWORD=$LOCAL_LOGIN_PASSWORD \
  "$RUNNER" logins | sed 's/^/    /')

cat <<INFO

Closeloop is running locally.
  HTTP API        http://127.0.0.1:$API_PORT
  Admin token     Authorization: Bearer $DEV_ADMIN_TOKEN
  Dev tokens      one per role and department (groups in the $GROUPS_CLAIM claim):
$TOKENS
  Surveys         curl -H 'Authorization: Bearer $DEV_ADMIN_TOKEN' http://127.0.0.1:$API_PORT/surveys
  Default survey  curl -H 'Authorization: Bearer $DEV_ADMIN_TOKEN' http://127.0.0.1:$API_PORT/surveys/csat-default
  Campaign survey curl -H 'Authorization: Bearer $DEV_ADMIN_TOKEN' http://127.0.0.1:$API_PORT/surveys/relationship
  Staff console   http://127.0.0.1:$API_PORT/console
  Console logins  (sign-in service http://127.0.0.1:$API_PORT/_local/oidc)
$LOGINS
  Outbox (SMS, email, alerts)  $AWS_ENDPOINT_URL/moto-api/data.json
  Logs            .local/runner.log  .local/functions.log  .local/emulator.log
Ready. Press Ctrl-C to stop.
INFO

# Stay up until interrupted or until a component dies.
wait -n "${PIDS[@]}" || true
check_alive || exit 1
echo "error: a component stopped; see the logs in .local/" >&2
exit 1
