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


def _declared(nb: Path) -> list[str]:
    """The names of a notebook's parameters cell."""
    code = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    source = "".join(code[0]["source"])
    return [line.split(":")[0] for line in source.splitlines() if line and line[0] != "#"]


def _papermill(chapter: str, out: Path, params_file: Path, *args: str):
    """Run a chapter notebook with papermill (the way a user does) and return the process."""
    return subprocess.run(
        [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / f"{chapter}.ipynb"),
         str(out), "-f", str(params_file), "-k", "python3", "--no-progress-bar", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )  # fmt: skip


def _chapter_params(tmp_path, chapter: str = "pgd") -> Path:
    out = tmp_path / f"{chapter}.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compression_robustness",
            "chapter-params",
            "smoke",
            chapter,
            "--out",
            str(out),
        ],
        check=True,
        cwd=ROOT,
    )
    return out


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "eps", "-1"], "parameter `eps` must be > 0"),
        (["-p", "archs", '["resnet99"]'], "parameter `archs` has unknown value"),
        (["-p", "profile", "laptop"], "unknown profile 'laptop'"),
        # a mistyped name is an error that lists the valid ones
        (["-p", "epz", "2"], "unknown parameter(s) `epz` for this chapter; valid: profile"),
        # more images than the split holds
        (["-p", "n_examples", "20000"], "the cifar10 test split has 10,000 images"),
        # the reproduction note's radii are checked with the rest, before any cell runs
        (["-p", "extra_eps", "[-4.0]"], "parameter `extra_eps` must be > 0"),
        # -p passes a list as a string: it is read as YAML (the error is then eps's)
        (["-p", "variants", '["vanilla"]', "-p", "eps", "-1"], "parameter `eps` must be > 0"),
        (["-p", "variants", "[vanilla, kd"], "parameter `variants` must be a list"),
    ],
)
def test_pgd_notebook_refuses_bad_input_before_compute(tmp_path, args, message):
    """One short message, from the validation cell, before anything is computed or written."""
    out = tmp_path / "out.ipynb"
    results = ROOT / "data" / "results" / "smoke" / "pgd.parquet"
    before = results.stat().st_mtime_ns if results.exists() else None
    proc = _papermill("pgd", out, _chapter_params(tmp_path), *args)
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
    (error,) = [o for o in failing[0]["outputs"] if o.get("output_type") == "error"]
    assert len(error["traceback"]) <= 3, "a bad parameter is one short message, no traceback"
    assert (results.stat().st_mtime_ns if results.exists() else None) == before


def test_a_whole_profile_file_is_refused_naming_its_sections(tmp_path):
    """`-f params/smoke.yaml` injects every chapter's section: an error that says how to get
    one chapter's parameters."""
    out = tmp_path / "out.ipynb"
    proc = _papermill("zoo", out, ROOT / "params" / "smoke.yaml")
    assert proc.returncode != 0
    assert "unknown parameter(s) `anytime`, `audit`, `bnn_mnist`" in proc.stderr
    assert "chapter-params" in proc.stderr


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_documents_every_parameter_with_its_comment(nb):
    declared = _declared(nb)
    helped = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(nb)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    missing = [d for d in declared if f"  {d}: " not in helped]
    assert not missing, f"papermill cannot parse these parameter lines: {missing}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_profile_gives_each_chapter_exactly_its_parameters(nb):
    """The chapter's section of each profile names only parameters the notebook declares."""
    from compression_robustness.core.params import PROFILES, chapter_parameters

    declared = set(_declared(nb))
    for profile in PROFILES:
        given = set(chapter_parameters(profile, nb.stem))
        assert given <= declared, f"{profile}: {sorted(given - declared)} unknown to {nb.stem}"


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


def _chapter_params_specs():
    from compression_robustness.studies.breakingbed import cam, imagenet, pgd, sweep
    from compression_robustness.studies.cheng import pixel_noise
    from compression_robustness.studies.galloway import bnn_mnist
    from compression_robustness.studies.zhao import transferability

    return {
        "pgd": pgd.PARAMS,
        "stress_strain": sweep.PARAMS,
        "boxplots": {k: v for k, v in sweep.PARAMS.items() if not k.startswith("anytime_")},
        "cam": cam.PARAMS,
        "pixel_noise": pixel_noise.PARAMS,
        "transferability": transferability.PARAMS,
        "bnn_mnist": bnn_mnist.PARAMS,
        "imagenet": imagenet.PARAMS,
    }


@pytest.mark.parametrize("chapter", sorted(_chapter_params_specs()))
def test_declared_parameters_match_the_notebook_and_state_their_unit(chapter):
    """Each chapter's declared parameters (type, bounds, unit, help) are the notebook's,
    and the notebook's comment of a parameter with a unit states it."""
    specs = _chapter_params_specs()[chapter]
    nb = ROOT / "notebooks" / f"{chapter}.ipynb"
    code = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    lines = {
        line.split(":")[0]: line
        for line in "".join(code[0]["source"]).splitlines()
        if line and line[0] != "#"
    }
    assert set(specs) <= set(lines), sorted(set(specs) - set(lines))
    unit_words = {"0-255": "0-255", "[0,1]": "[0, 1]"}
    for name, spec in specs.items():
        kind = lines[name].split(":", 1)[1].split("=")[0].strip()
        assert kind == spec.kind.__name__, f"{name}: notebook says {kind}, declared {spec.kind}"
        if spec.unit:
            assert unit_words[str(spec.unit)] in lines[name], f"{name}: no unit in {lines[name]!r}"


VALIDATORS = {
    "pgd": ["pgd.validate_pgd"],
    "zoo": ["table1.validate_zoo"],
    "stress_strain": ["sweep.validate_sweep", "sweep.validate_anytime"],
    "boxplots": ["sweep.validate_sweep"],
    "cam": ["cam.validate_cam"],
    "imagenet": ["imagenet.validate_imagenet"],
    "pixel_noise": ["pixel_noise.validate_pixel_noise"],
    "transferability": ["transferability.validate_transferability"],
    "bnn_mnist": ["bnn_mnist.validate_bnn"],
    "audit": ["audit.validate_audit"],
    "scoreboard": ["scoreboard.validate_scoreboard"],
}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_parameter_is_an_argument_of_its_validators(nb):
    """notebook_parameters() accepts exactly the validators' arguments, so a parameters
    cell name that no validator takes would be refused as unknown."""
    import importlib
    import inspect

    pkgs = {
        "pgd": "breakingbed", "table1": "breakingbed", "sweep": "breakingbed", "cam": "breakingbed",
        "imagenet": "breakingbed", "pixel_noise": "cheng", "transferability": "zhao",
        "bnn_mnist": "galloway", "audit": None, "scoreboard": None,
    }  # fmt: skip
    args = set()
    for ref in VALIDATORS[nb.stem]:
        mod, fn = ref.split(".")
        pkg = "compression_robustness.studies" + (f".{pkgs[mod]}" if pkgs[mod] else "")
        m = importlib.import_module(f"{pkg}.{mod}")
        args |= set(inspect.signature(getattr(m, fn)).parameters)
    assert set(_declared(nb)) <= args, sorted(set(_declared(nb)) - args)
    source = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"])
    assert "notebook_parameters(" in source
