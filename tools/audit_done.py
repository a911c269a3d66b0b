"""Move the models whose audit cell is stored from `pending` to `models` in a profile's
audit section (run after tools/run_audit.sh has committed cells):
    .venv/bin/python tools/audit_done.py cpu"""

import re
import sys

from compression_robustness.core import paths
from compression_robustness.core.params import chapter_parameters
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.studies import audit

profile = sys.argv[1] if len(sys.argv) > 1 else "cpu"
prm = chapter_parameters(profile, "audit")
cfg = audit.validate_audit(**{**prm, "models": prm["models"] + prm["pending"], "pending": []})
store = ResultStore(profile, "audit")
done = {c["model"] for c in audit.cell_configs(cfg) if store.has(c)}
models = [m for m in cfg.models if m in done]
pending = [m for m in cfg.models if m not in done]
path = paths.project_root() / "params" / f"{profile}.yaml"
text = path.read_text()
head, sec = text.split("\naudit:\n", 1)
sec = re.sub(r"\n  models: \[.*?\]\n", f"\n  models: [{', '.join(models)}]\n", "\n" + sec, count=1)[1:]
sec = re.sub(r"\n  pending: \[.*?\]\n", f"\n  pending: [{', '.join(pending)}]\n", sec, count=1)
path.write_text(head + "\naudit:\n" + sec)
print(f"{profile}: {len(models)} audited, {len(pending)} pending")
