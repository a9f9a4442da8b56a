#!/usr/bin/env python3
"""Bench: the scripted conversations of evals/dialogues/ against this checkout and, in the same run, a baseline.

The runner (src/frontdesk/agent/dialogue_eval.py of THIS checkout) drives whatever `frontdesk` package the
given Python imports, through the text-call hub only (`start_call`, `send`), so the same dialogues and the
same scoring measure any revision of the receptionist.

Usage: bench/dialogues.py [--baseline-python /work/main/.venv/bin/python] [-v] [FILES...]
       (default files: evals/dialogues/*.json; one configuration: offline brain, MiniLM)
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "src" / "frontdesk" / "agent" / "dialogue_eval.py"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as `frontdesk` does
    os.environ.setdefault(_var, "1")


def run_here(files: list[Path], verbose: bool) -> str:
    """Evaluate with the `frontdesk` this interpreter imports (the runner file is always this checkout's)."""
    spec = importlib.util.spec_from_file_location("dialogue_eval_runner", RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    text, _ = module.evaluate_files(files, verbose=verbose)
    return str(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--baseline-python", help="a Python whose `frontdesk` is the baseline (e.g. main's venv)")
    ap.add_argument("--here-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    files = args.files or sorted((ROOT / "evals" / "dialogues").glob("*.json"))
    if args.here_only:
        print(run_here(files, args.verbose))
        return
    if args.baseline_python:
        import frontdesk

        print(f"== baseline: {args.baseline_python}", flush=True)
        cmd = [args.baseline_python, __file__, "--here-only", *map(str, files)] + (["-v"] if args.verbose else [])
        print(subprocess.run(cmd, check=True, capture_output=True, text=True, cwd="/tmp").stdout, flush=True)
        print(f"== this checkout: {Path(frontdesk.__file__).parent}", flush=True)
    print(run_here(files, args.verbose))


if __name__ == "__main__":
    main()
