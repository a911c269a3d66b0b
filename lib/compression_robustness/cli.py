"""Command line: ``python -m compression_robustness <command>``.

Commands:

``train-zoo --profile P [--models M ...] [--force]``
    train (or verify) zoo checkpoints for a profile; ``--force`` retrains.
``profiles-table [--out FILE]``
    write the Markdown table of the profiles (used by the book's introduction).
``compute-table [--profile P] [--out FILE]``
    write the Markdown table of the CPU time behind a profile's stored results.
``unused-results --used LOG [--profile P] [--delete]``
    list (or delete) the stored cells that a run with ``CRS_USED_LOG=LOG`` set did not
    use, in the chapters it ran, and rewrite those chapters' consolidated tables.
``verify [--profile P ...]``
    check every checkpoint against its manifest's sha256 and every result cell and
    consolidated table against its recorded content hash and key; exit 1 on any problem.
``headlines [--profile P] [--out FILE]``
    write the headline numbers of a profile's stored results as JSON (the reference that
    ``tests/test_evaluate_reference.py`` checks the committed cpu results against).
``chapter-params P CHAPTER [--out FILE]``
    write the flat parameters of one chapter in profile ``P`` (its section of
    ``params/P.yaml`` plus the shared keys), the file papermill takes with ``-f``.
``check-profile P``
    exit with a clear error if ``P`` is not a profile.
``has-data DATASET``
    exit 0 when the dataset's test split can be loaded here (cache, mirror or download).
``fold-parameters NOTEBOOK ...``
    tag the parameters and papermill's injected-parameters cells of executed chapters
    ``hide-cell``, so the book shows them folded (the injected cell lists every profile key).
"""

from __future__ import annotations

import argparse
import logging
import sys

from compression_robustness.core.params import (
    PROFILES,
    ZOO_PROFILES,
    check_profile,
    check_zoo_profile,
)
from compression_robustness.core.registry import ConfigError


def _train_zoo(args) -> None:
    from compression_robustness import zoo

    check_zoo_profile(args.profile)
    names = args.models or zoo.default_models(args.profile)
    for n in names:
        zoo.ZOO.check(n)
    for n in names:
        where = zoo.checkpoint_paths(n, args.profile)
        if args.force and where.exists():
            where.weights.unlink()
            where.manifest.unlink()
        zm = zoo.get(n, args.profile)
        print(
            f"{n:28s} acc={zm.accuracy:.4f} train={zm.manifest['train_seconds']:.0f}s {where.weights.name}"
        )


def _emit(text: str, out: str | None) -> None:
    """Write ``text`` to the file ``out`` (creating its folder), or to stdout."""
    if out:
        from pathlib import Path

        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    else:
        sys.stdout.write(text)


def _profiles_table(args) -> None:
    from compression_robustness.book import profiles_markdown

    _emit(profiles_markdown(), args.out)


def _compute_table(args) -> None:
    from compression_robustness.book import compute_markdown

    _emit(compute_markdown(args.profile), args.out)


def _unused_results(args) -> None:
    from compression_robustness.evaluate.store import ResultStore, unused_cells

    df = unused_cells(args.profile, args.used)
    for r in df.itertuples():
        print(f"{r.chapter}\t{r.config_hash}\t{r.wall_seconds / 60:.1f} CPU-min")
    print(
        f"{len(df)} unused cells ({df.wall_seconds.sum() / 60:.1f} CPU-min)"
        + (", deleted" if args.delete and len(df) else "")
    )
    if args.delete:
        for path in df["path"]:
            path.unlink()
        for chapter in sorted(set(df["chapter"])):
            ResultStore(args.profile, chapter).table()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m compression_robustness")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train-zoo", help="train or verify zoo checkpoints")
    t.add_argument("--profile", required=True)
    t.add_argument("--models", nargs="*")
    t.add_argument("--force", action="store_true")
    pt = sub.add_parser("profiles-table", help="Markdown table of the profiles")
    pt.add_argument("--out")
    ct = sub.add_parser("compute-table", help="Markdown table of the measured CPU time")
    ct.add_argument("--profile", default="cpu")
    ct.add_argument("--out")
    ur = sub.add_parser("unused-results", help="stored cells a logged run did not use")
    ur.add_argument("--used", required=True, help="the file CRS_USED_LOG pointed to")
    ur.add_argument("--profile", default="cpu")
    ur.add_argument("--delete", action="store_true")
    chp = sub.add_parser("chapter-params", help="one chapter's parameters of a profile (YAML)")
    chp.add_argument("profile")
    chp.add_argument("chapter")
    chp.add_argument("--out")
    cp = sub.add_parser("check-profile", help="validate a profile name")
    cp.add_argument("profile")
    hd = sub.add_parser("has-data", help="exit 0 if a dataset can be loaded here, else 1")
    hd.add_argument("dataset")
    vf = sub.add_parser("verify", help="check every checkpoint and result against its records")
    vf.add_argument("--profile", action="append", help="profile(s) to check (default: all)")
    hl = sub.add_parser("headlines", help="headline numbers of the stored results (JSON)")
    hl.add_argument("--profile", default="cpu")
    hl.add_argument("--out")
    fp = sub.add_parser("fold-parameters", help="fold the parameter cells of executed chapters")
    fp.add_argument("notebooks", nargs="+")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        for prof in (
            [args.profile]
            if isinstance(getattr(args, "profile", None), str)
            else (getattr(args, "profile", None) or [])
        ):
            # the zoo's commands (train-zoo, verify) also take the staging set cpu-next
            (check_zoo_profile if args.cmd in ("train-zoo", "verify") else check_profile)(prof)
        if args.cmd == "train-zoo":
            _train_zoo(args)
        elif args.cmd == "fold-parameters":
            from compression_robustness.book import fold_parameters

            fold_parameters(args.notebooks)
        elif args.cmd == "unused-results":
            _unused_results(args)
        elif args.cmd == "verify":
            from compression_robustness.evaluate.integrity import verify_checkpoints, verify_results

            bad = 0
            for prof in args.profile or list(ZOO_PROFILES):
                n_ck, p_ck = verify_checkpoints(prof)
                n_re, p_re = verify_results(prof)
                for problem in p_ck + p_re:
                    print(f"FAILED {problem.path}: {problem.message}", file=sys.stderr)
                bad += len(p_ck) + len(p_re)
                print(
                    f"{prof}: {n_ck} checkpoints, {n_re} result cells checked, "
                    f"{len(p_ck) + len(p_re)} problems"
                )
            return 1 if bad else 0
        elif args.cmd == "headlines":
            import json

            from compression_robustness.evaluate.reference import headlines

            _emit(json.dumps(headlines(args.profile), indent=1, sort_keys=True) + "\n", args.out)
        elif args.cmd == "compute-table":
            _compute_table(args)
        elif args.cmd == "profiles-table":
            _profiles_table(args)
        elif args.cmd == "has-data":
            from compression_robustness import data

            try:
                data.load(args.dataset, "test")
            except data.DataUnavailableError as exc:
                print(f"{exc}", file=sys.stderr)
                return 1
        elif args.cmd == "check-profile":
            print(f"profile {args.profile!r} is valid ({', '.join(PROFILES)})")
        elif args.cmd == "chapter-params":
            import yaml

            from compression_robustness.core.params import chapter_parameters

            flat = chapter_parameters(args.profile, args.chapter)
            header = f"# chapter {args.chapter}, profile {args.profile} (from params/{args.profile}.yaml)\n"
            _emit(
                header + yaml.safe_dump(flat, sort_keys=False, width=100, default_flow_style=None),
                args.out,
            )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
