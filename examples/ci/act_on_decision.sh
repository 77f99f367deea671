#!/usr/bin/env bash
# Turn the exit code of `causalkit gate` into a rollout action.
#
#   act_on_decision.sh CODE [GATE_JSON]
#
# Replace the echo lines with calls to your feature-flag or deployment system.
# The script itself exits non-zero when the job should fail (rollback, invalid, error).
set -euo pipefail

code="${1:?usage: act_on_decision.sh CODE [GATE_JSON]}"
report="${2:-gate.json}"

reasons() {
  if [[ -f "$report" ]] && command -v python3 >/dev/null; then
    python3 -c 'import json,sys; print("\n".join("  - " + r for r in json.load(open(sys.argv[1]))["decision"]["reasons"]))' "$report"
  fi
}

case "$code" in
  0)  echo "ship: continue the rollout (e.g. raise the flag to the next stage)"; reasons ;;
  10) echo "hold: keep the experiment running; the next look is tomorrow"; reasons ;;
  11) echo "inconclusive: the planned horizon passed; end the experiment"; reasons ;;
  20) echo "rollback: turn the change off now"; reasons; exit 1 ;;
  30) echo "invalid: a check failed; fix the experiment before trusting any effect"; reasons
      exit 1 ;;
  2)  echo "error: the gate could not read its inputs"; reasons; exit 2 ;;
  *)  echo "causalkit crashed (exit $code); please report it"; exit 1 ;;
esac
