"""`make bench`: run every benchmark script in bench/, then write BENCHMARKS.md from the JSON
figures they leave in bench/results/, with the machine they ran on."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


Figure = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Target:
    """One floor of a benchmark: what is measured, how to read it from the JSON, and the bound."""
    label: str
    figure: Figure
    bound: float
    at_least: bool = False  # a floor (throughput), else a ceiling (time, latency)
    unit: str = ""

    def met(self, value: Any) -> bool | None:
        if not isinstance(value, int | float):
            return None
        return value >= self.bound if self.at_least else value < self.bound


def _get(*path: str) -> Figure:
    def read(data: dict[str, Any]) -> Any:
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value
    return read


def _sum(*figures: Figure) -> Figure:
    def read(data: dict[str, Any]) -> Any:
        values = [f(data) for f in figures]
        return round(sum(values), 2) if all(isinstance(v, int | float) for v in values) else None
    return read


# Issue 13's floors (this 2-core machine, quiet, embedded run unless said), per result file.
TARGETS: dict[str, list[Target]] = {
    "county_round": [
        Target("round + finalisation", _get("round_and_finalise_s"), 15, unit="s"),
        Target("lending caught up after the round's start", _get("lending_caught_up_s"), 60, unit="s"),
        Target("merchant caught up", _get("merchant_caught_up_s"), 60, unit="s"),
        Target("stats caught up", _get("stats_caught_up_s"), 60, unit="s"),
        # From the veto's raising to the transaction in lending (merchant) that froze the line (refuses
        # the verify): their inbox rows' times. The probe's own sighting, later by its polling in a
        # process busy with the round, is in "all figures" (veto_to_frozen_line_*).
        Target("veto → frozen line, p99 during the round", _get("veto_lending_applied_p99_s"), 1, unit="s"),
        Target("veto → refused POS verify, p99 during the round", _get("veto_merchant_applied_p99_s"), 1,
               unit="s"),
    ],
    "rating_round": [
        Target("round + finalisation, 111,000 households (SQLite)",
               _sum(_get("sqlite-111000", "round_s"), _get("sqlite-111000", "finalise_s")), 15, unit="s"),
        Target("round + finalisation, 111,000 households (PostgreSQL)",
               _sum(_get("postgresql-111000", "round_s"), _get("postgresql-111000", "finalise_s")), 15, unit="s"),
    ],
    "registry_import": [Target("import of 111,000 households", _get("first_import", "seconds"), 20, unit="s")],
    "merchant_verify": [
        Target("POS verify throughput / /healthz throughput", _get("verify_to_healthz"), 0.6, at_least=True),
        Target("POS verify p99", _get("verify", "p99_ms"), 15, unit="ms"),
    ],
    "lending_reads": [
        Target("credit-line reads", _get("reads_per_s"), 3000, at_least=True, unit="/s"),
        Target("credit-line read p99", _get("p99_ms"), 20, unit="ms"),
    ],
    "load_bank_pos_postgres": [
        Target("mixed bank + POS load (PostgreSQL)", _get("rps"), 500, at_least=True, unit="req/s"),
        Target("mixed load p99", _get("p99_ms"), 250, unit="ms"),
        Target("mixed load errors", _get("errors"), 1, unit=""),
    ],
    "lending_draws": [
        Target("loan draws (PostgreSQL)", _get("spread", "draws_per_s"), 1000, at_least=True, unit="/s"),
        Target("overdraws", _get("overdraws"), 1),
    ],
    "stats_ingest": [Target("stats events applied", _get("full_path_events_per_s"), 5000, at_least=True, unit="/s")],
}
LOAD_KEYS = ("load_average", "load_average_before", "load_average_1m")
CHART = "county_round_catch_up.png"
# What run_all.py does not write: sections a person wrote below this line stay as they are.
KEEP = "<!-- written by hand below this line; bench/run_all.py keeps it -->"


def load_of(data: dict[str, Any]) -> str:
    for key in LOAD_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            return ", ".join(f"{v:.1f}" for v in value)
        if isinstance(value, int | float):
            return f"{value:.1f}"
    found = [load_of(v) for v in data.values() if isinstance(v, dict)]
    return ", ".join(f for f in found if f != "not recorded") or "not recorded"


def flat(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar figures of a result, nested keys joined (long lists such as a time series left out)."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += flat(value, f"{prefix}{key}.")
        elif isinstance(value, list) and (len(value) > 6 or any(isinstance(v, dict) for v in value)):
            continue
        else:
            out.append((f"{prefix}{key}", value))
    return out


def shown(value: Any, unit: str) -> str:
    if value is None:
        return "not measured"
    return f"{value:,}{(' ' + unit) if unit else ''}" if isinstance(value, int | float) else str(value)


def draw_chart(data: dict[str, Any]) -> bool:
    """The county round's catch-up over time (PNG beside BENCHMARKS.md's figures)."""
    series = data.get("series")
    if not series:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    t = [p["t"] for p in series]
    for service in ("lending", "merchant", "stats"):
        ax.plot(t, [p.get(service, 0) for p in series], label=service)
    events = data.get("events") or data.get("households")
    if events:
        ax.axhline(events, color="grey", linestyle=":", linewidth=1, label=f"the round's {events:,} households")
    for name, style in (("round_s", "--"), ("round_and_finalise_s", "-.")):
        if isinstance(data.get(name), int | float):
            ax.axvline(data[name], color="black", linestyle=style, linewidth=0.8,
                       label="round scored" if name == "round_s" else "finalised (publication ended)")
    ax.set_xlabel("seconds after the round's start")
    ax.set_ylabel("households showing the new grade")
    ax.set_title(f"County round: {data.get('households', 0):,} households, {data.get('changed', 0):,} grades changed "
                 f"({data.get('backend')})")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(BENCH / CHART)
    plt.close(fig)
    return True


def earlier_sections(generated: str) -> dict[str, str]:
    """The generated part of an earlier BENCHMARKS.md, one section per benchmark (`## name`)."""
    sections: dict[str, str] = {}
    for chunk in generated.split("\n## ")[1:]:
        stem = chunk.split("\n", 1)[0].strip()
        sections[stem] = "## " + chunk
    return sections


def write_report() -> None:
    report = ROOT / "BENCHMARKS.md"
    kept = ""
    earlier: dict[str, str] = {}
    if report.exists():
        text = report.read_text()
        generated, _, kept = text.partition(KEEP)
        earlier = earlier_sections(generated)
    lines = ["# Benchmarks", "", f"Latest figures of `make bench`, measured on: {machine()}.", "",
             "One table per result file in `bench/results/` (rerun with `make bench`; `make bench BENCH=\"--full\"`",
             "adds the 1,000,000-household rating round). A figure is only comparable with the load average",
             "beside it: on 2 cores a busy machine cuts throughput 2-4x.", ""]
    measured = {r.stem: r for r in RESULTS.glob("*.json")}
    for stem in sorted(set(measured) | set(earlier)):
        if stem not in measured:
            # Measured by an earlier run on another checkout: its section stays until it is run again.
            lines += [earlier[stem].rstrip("\n"), ""]
            continue
        result = measured[stem]
        data = json.loads(result.read_text())
        targets = TARGETS.get(result.stem, [])
        lines += [f"## {result.stem}", "", f"Load average (1 min) when measured: {load_of(data)}.", ""]
        if result.stem == "county_round" and draw_chart(data):
            lines += [f"![The county round's catch-up in lending, merchant and stats](bench/{CHART})", ""]
        if targets:
            lines += ["| measure | target | figure | met |", "| --- | --- | --- | --- |"]
            for t in targets:
                value = t.figure(data)
                met = t.met(value)
                bound = f"{'≥' if t.at_least else '<'} {t.bound:,}{(' ' + t.unit) if t.unit else ''}"
                lines.append(f"| {t.label} | {bound} | {shown(value, t.unit)} | "
                             f"{'not measured' if met is None else 'yes' if met else '**no**'} |")
            lines.append("")
        figures = flat(data)
        lines += ["<details><summary>all figures</summary>", "", "| figure | value |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in figures]
        lines += ["", "</details>", ""]
    lines += [KEEP + kept.rstrip("\n") if kept else KEEP, ""]
    report.write_text("\n".join(lines))


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
