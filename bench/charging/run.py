"""EV charging benchmark: Gongwu's planner against uncontrolled charging and acnportal's EDF and LLF.

    nice .venv/bin/python bench/charging/run.py                 # seeds 1-3, writes results.json, RESULTS.md, chart.svg
    nice .venv/bin/python bench/charging/run.py --seeds 1 --policies planner,uncontrolled
    .venv/bin/python bench/charging/run.py --report             # rewrite RESULTS.md and chart.svg from results.json

Each seed is a generated week (40 new-energy cars, one garage with 8 × 7 kW AC and 2 × 60 kW DC under a 120 kW
cap, Beijing commercial time-of-use tariff, weekday office trips, airport and railway runs, evening returns;
trips booked from days to an hour ahead). Every policy runs the same week in the same simulator (sim.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from policies import Acn, Planner, Uncontrolled  # noqa: E402
from sim import Result, run  # noqa: E402

from gongwu.dispatch.charging import plan  # noqa: E402
from gongwu.dispatch.charging.scenario import generate  # noqa: E402

RESULTS = HERE / "results.json"
WEEKS = {"normal": 2, "busy": 3}
SUNDAY = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
"""Each week starts the Sunday before: a day of warm-up (not counted), then Monday to Sunday."""


def policy(name: str) -> Any:
    return {
        "planner": Planner,
        "uncontrolled": Uncontrolled,
        "edf": lambda: Acn("edf"),
        "llf": lambda: Acn("llf"),
    }[name]()


def cold_plan_seconds(seed: int, busy: int) -> float:
    """One plan from scratch at the busiest moment (Monday 18:00, every car, 36 hours ahead)."""
    from policies import Planner as P
    from sim import Car, World

    scenario = generate(seed, busy=busy)
    now = scenario.start + timedelta(hours=18)
    cars = {ev.vehicle_id: Car(ev, ev.soc_kwh) for ev in scenario.evs}
    world = World(scenario, now, cars, [t for t in scenario.trips if t.booked_at <= now])
    problem = P().problem(world)
    started = time.perf_counter()
    plan(problem)
    return time.perf_counter() - started


def summary(result: Result) -> dict[str, Any]:
    out = {k: v for k, v in asdict(result).items() if k not in ("load", "decide_s")}
    out["served_pct"] = 100 * result.served_feasible / max(1, result.feasible)
    out["decide_mean_s"] = statistics.mean(result.decide_s)
    out["decide_max_s"] = max(result.decide_s)
    out["load"] = [round(x, 2) for x in result.load]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--weeks", default="normal,busy", help="normal (≈1.6 trips/car/weekday), busy (≈2.3)")
    parser.add_argument("--policies", default="uncontrolled,edf,llf,planner")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if not args.report:
        results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        weeks = [(w, int(s)) for w in args.weeks.split(",") for s in args.seeds.split(",")]
        for week, seed in weeks:
            scenario = generate(seed, busy=WEEKS[week], days=8, start=SUNDAY)
            for name in args.policies.split(","):
                chosen = policy(name)
                started = time.perf_counter()
                result = run(scenario, chosen)
                entry = summary(result)
                entry["wall_s"] = time.perf_counter() - started
                if isinstance(chosen, Planner):
                    entry["replan_s"] = chosen.plan_s
                    entry["replans"] = len(chosen.plan_s)
                    entry["kept_previous"] = chosen.kept
                    entry["cold_plan_s"] = cold_plan_seconds(seed, WEEKS[week])
                results.setdefault(f"{week}-{seed}", {})[result.name] = entry
                print(
                    f"{week}-{seed} {result.name:16} served {entry['served_pct']:6.2f}% "
                    f"({result.served_feasible}/{result.feasible}) cost {result.cost:8.2f} yuan "
                    f"energy {result.energy_kwh:7.1f} kWh peak {result.peak_kw:6.1f} kW "
                    f"moves {result.plug_moves:4d} over-cap steps {result.over_cap_steps:3d} "
                    f"decide mean {entry['decide_mean_s'] * 1000:7.1f} ms max {entry['decide_max_s']:.2f} s",
                    flush=True,
                )
                RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    report(json.loads(RESULTS.read_text()))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} vCPU {cpu}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def report(results: dict[str, Any]) -> None:
    from report import write

    write(results, HERE, machine())


if __name__ == "__main__":
    main()
