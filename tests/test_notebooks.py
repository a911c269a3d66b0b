"""Notebook sources: clean, parameterised, and refusing bad input before any compute."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_sources_have_no_outputs_and_a_typed_parameters_cell(nb):
    cells = json.loads(nb.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    first = code[0]
    assert "parameters" in first["metadata"].get("tags", [])
    for line in "".join(first["source"]).splitlines():
        if line and not line.startswith("#"):
            assert ": " in line.split("=")[0] and "#" in line, f"untyped or uncommented: {line}"
    assert len(code) <= 12, "notebooks are glue: move computation into the library"


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "eps", "-1"], "parameter `eps` must be > 0"),
        (["-p", "archs", '["resnet99"]'], "parameter `archs` has unknown value"),
        (["-p", "profile", "gpu"], "unknown profile 'gpu'"),
    ],
)
def test_pgd_notebook_refuses_bad_input_before_compute(tmp_path, args, message):
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(ROOT / "notebooks" / "pgd.ipynb"),
            str(out),
            "-f",
            str(ROOT / "params" / "smoke.yaml"),
            "-k",
            "python3",
            "--no-progress-bar",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout
    executed = json.loads(out.read_text())
    # the error is raised in the validation cell; nothing after it ran
    failing = [
        c
        for c in executed["cells"]
        if c["cell_type"] == "code"
        and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    assert len(failing) == 1 and "validate_pgd" in "".join(failing[0]["source"])


def test_fold_parameters_tags_the_parameter_cells_only(tmp_path):
    from compression_robustness.cli import main

    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "a = 1"},
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": ""},
            {"cell_type": "code", "metadata": {}, "source": "print(a)"},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "ch.ipynb"
    path.write_text(json.dumps(nb))
    assert main(["fold-parameters", str(path)]) == 0
    tags = [c["metadata"].get("tags", []) for c in json.loads(path.read_text())["cells"]]
    assert tags == [["parameters", "hide-cell"], ["injected-parameters", "hide-cell"], []]
