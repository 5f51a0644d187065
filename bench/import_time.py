"""Benchmark: how long ``import dashin_sdk`` takes next to ``import supabase``.

Run ``python -m bench.import_time [--runs 15]``.

Each statement runs in a fresh interpreter (``python -c ...``, the project's virtualenv), the
statements taking turns so that both see the same machine load and disk cache; the report is
the median wall time of each, interpreter start-up included. ``python -c "pass"`` is timed the
same way so the cost of the import alone can be read off (``minus startup``). See
bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.upsert_leads import TIMES

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "import_time.json"
TARGET_RATIO = 0.5

STATEMENTS: dict[str, str] = {
    "startup": "pass",
    "dashin_sdk": "import dashin_sdk",
    "supabase": "import supabase",
    "dashin_sdk.Dashin": "from dashin_sdk import Dashin",
}


def spawn(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True)
    return time.perf_counter() - start


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.import_time", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="interpreters per statement (15)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("need --runs >= 3")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for statement in STATEMENTS.values():
        spawn(statement)  # warm the disk cache and the bytecode caches once
    samples: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for _ in range(args.runs):
        for name, statement in STATEMENTS.items():
            samples[name].append(spawn(statement))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    startup = medians["startup"]
    ratio = medians["dashin_sdk"] / medians["supabase"]
    ratio_without_startup = (medians["dashin_sdk"] - startup) / (medians["supabase"] - startup)
    print(f"{'statement':<34}{'median ms':>10}{'minus startup':>15}{'vs supabase':>13}")
    for name, statement in STATEMENTS.items():
        print(
            f"{statement:<34}{medians[name] * 1000:>10.1f}"
            f"{(medians[name] - startup) * 1000:>15.1f}"
            f"{medians[name] / medians['supabase']:>12.2f}{TIMES}"
        )
    met = ratio <= TARGET_RATIO
    print(
        f"\nimport dashin_sdk / import supabase = {ratio:.2f}{TIMES} "
        f"({ratio_without_startup:.3f}{TIMES} without interpreter start-up; "
        f"target <= {TARGET_RATIO}{TIMES}): {'met' if met else 'NOT met'}"
    )
    result = {
        "benchmark": "import_time",
        "config": {"runs": args.runs, "statements": STATEMENTS},
        "environment": {"python": sys.version.split()[0], "platform": platform.platform()},
        "median_seconds": medians,
        "samples_seconds": samples,
        "ratio": ratio,
        "ratio_without_startup": ratio_without_startup,
        "target_ratio": TARGET_RATIO,
        "target_met": met,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
