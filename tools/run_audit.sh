#!/usr/bin/env bash
# Compute the audit chapter's cells of a profile in the background, one model at a time (each
# model is one content-addressed cell, so a killed run resumes where it stopped).
#   nohup tools/run_audit.sh [PROFILE [MODEL...]] &      progress: logs/audit-<profile>.log
# With models named, only those are computed, in that order (two runs on disjoint models
# can share a machine, one core each).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-cpu}
shift || true
mkdir -p logs
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} nice -n 5 .venv/bin/python - "$profile" "$@" <<'PY' >> "logs/audit-$profile.log" 2>&1
import sys, time
from compression_robustness.core.params import chapter_parameters
from compression_robustness.studies import audit
profile = sys.argv[1]
prm = chapter_parameters(profile, "audit")
prm["models"], prm["pending"] = prm["models"] + prm.get("pending", []), []
cfg = audit.validate_audit(**prm)
todo = [m for m in cfg.models if m not in cfg.missing]
if sys.argv[2:]:
    unknown = sorted(set(sys.argv[2:]) - set(cfg.models))
    if unknown:
        sys.exit(f"run_audit: not in the {profile} audit: {unknown}")
    todo = [m for m in sys.argv[2:] if m in todo]
print(time.strftime("%FT%TZ", time.gmtime()), f"audit {profile}: {len(todo)} models", flush=True)
for i, m in enumerate(todo, 1):
    t = time.time()
    one = audit.AuditConfig(cfg.profile, [m], cfg.settings, {})
    df = audit.run(one, progress=False)
    worst = audit.summary(df, audit.AU.flags(df)).iloc[0]
    print(time.strftime("%FT%TZ", time.gmtime()), f"[{i}/{len(todo)}] {m}: {time.time() - t:.0f} s;",
          f"PGD {worst['PGD (%)']}, worst {worst['worst case, all attacks (%)']}", flush=True)
print("done", flush=True)
PY
