#!/usr/bin/env bash
# Usage: cor-watchdog.sh <unit>. Env: HEALTH_URL (GET must answer 200), or for the indexer READINESS_URL (restart
# only when /readiness reports "stalled", never while it merely catches up or the RPC is down);
# FAILS_BEFORE_RESTART (default 3 consecutive failures, i.e. ~30 s with the 10 s timer).
set -uo pipefail
unit="$1"
state="/run/cor-watchdog-${unit}.fails"
fails=$(cat "$state" 2>/dev/null || echo 0)
healthy=1
if [ -n "${READINESS_URL:-}" ]; then
  body=$(curl -s --max-time 5 "$READINESS_URL" || echo '{"status":"unreachable"}')
  case "$body" in *'"status":"stalled"'*) healthy=0 ;; esac
else
  curl -fsS --max-time 5 -o /dev/null "${HEALTH_URL:?HEALTH_URL or READINESS_URL is required}" || healthy=0
fi
if [ "$healthy" = 1 ]; then
  echo 0 > "$state"
  exit 0
fi
fails=$((fails + 1))
echo "$fails" > "$state"
if [ "$fails" -ge "${FAILS_BEFORE_RESTART:-3}" ]; then
  echo "cor-watchdog: $unit unhealthy $fails times in a row; restarting it"
  echo 0 > "$state"
  systemctl restart "$unit"
fi
