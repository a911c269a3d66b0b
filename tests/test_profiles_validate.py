"""Every chapter's validation cell accepts the gpu and paper profiles' sections (no compute:
those cells stop bad parameters before any), so a GPU user's run does not fail on a
parameter after hours of training."""

import json
import re
from pathlib import Path

import pytest

from compression_robustness.core import params as P

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _code_cells(nb: Path) -> list[str]:
    cells = json.loads(nb.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("profile", ["gpu", "paper"])
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_profile_passes_the_chapters_validation(nb, profile, monkeypatch):
    import IPython.display
    import myst_nb

    from compression_robustness.zoo import entry

    def no_training(e, profile, *a, **k):
        raise AssertionError(f"{nb.stem}'s validation cell trains {e.name} ({profile})")

    monkeypatch.setattr(entry, "_train", no_training)
    monkeypatch.setattr(myst_nb, "glue", lambda *a, **k: None)
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: None)
    params_cell, validation = _code_cells(nb)[:2]
    assert "notebook_parameters(" in validation, f"{nb.stem}: no validation cell"
    ns: dict = {}
    exec(params_cell, ns)  # the parameters cell: typed literals
    ns.update(P.chapter_parameters(profile, nb.stem))  # what papermill injects
    ns["profile"] = profile
    ns["__builtins__"] = __builtins__
    ns["_np"] = lambda *v: P.notebook_parameters(*v, namespace=ns)
    # only the cell's validation, up to its first statement that is not about parameters
    code = re.sub(r"\bnotebook_parameters\(", "_np(", validation)
    code = code.replace("print(", "(lambda *a, **k: None)(")
    if nb.stem == "imagenet" and profile == "paper":  # needs the user's ImageNet folder
        with pytest.raises(P.ConfigError, match="parameter `imagenet_dir` is empty"):
            exec(code, ns)
        return
    exec(code, ns)


def test_the_sweeps_cell_count_resolves_no_checkpoint():
    from compression_robustness.studies.breakingbed import sweep

    prm = {
        "dataset": "cifar10",
        "seed": 0,
        "batch_size": 250,
        **P.chapter_parameters("cpu", "sweep"),
    }
    cfg = sweep.validate_sweep(profile="cpu", **{k: v for k, v in prm.items() if k != "profile"})
    assert sweep.count_cells(cfg) == len(sweep.sweep_cell_configs(cfg))
