"""`make bench`: run every benchmark script in bench/, then write BENCHMARKS.md from the JSON
figures they leave in bench/results/, with the machine they ran on."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


# Sizes that take long: only with --full (the rating round at 1,000,000 households).
FULL_ARGS = {"rating_round": ["--million"]}


def write_report() -> None:
    lines = ["# Benchmarks", "", f"Latest figures of `make bench`, measured on: {machine()}.", "",
             "Each section is one script's JSON in `bench/results/`; rerun with `make bench`",
             "(`make bench BENCH=\"--full\"` adds the 1,000,000-household rating round).", ""]
    for result in sorted(RESULTS.glob("*.json")):
        data = json.loads(result.read_text())
        lines += [f"## {result.stem}", "", "| figure | value |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in data.items()]
        lines.append("")
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    full = "--full" in sys.argv[1:]
    only = {a for a in sys.argv[1:] if not a.startswith("--")}
    scripts = sorted(p for p in BENCH.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    failed = []
    for script in scripts:
        if only and script.stem not in only:
            continue
        print(f"== {script.name}", flush=True)
        start = time.monotonic()
        env = dict(os.environ, PYTHONPATH=f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}")
        extra = FULL_ARGS.get(script.stem, []) if full else []
        rc = subprocess.call([sys.executable, str(script), *extra], cwd=ROOT, env=env)
        print(f"   ({time.monotonic() - start:.0f} s, exit {rc})", flush=True)
        if rc:
            failed.append(script.name)
        write_report()  # after each script, so a long run that is stopped still leaves its figures
    print("BENCHMARKS.md written" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
