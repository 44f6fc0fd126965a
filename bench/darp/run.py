"""DARP benchmark: our optimizer, plain OR-Tools and VROOM on the Cordeau instances, plus a rolling batch.

    .venv/bin/python bench/darp/run.py                       # everything: a/b at 10 s and 30 s, VROOM, rolling
    .venv/bin/python bench/darp/run.py --instances a2-16,a8-96 --limits 10 --methods ours
    .venv/bin/python bench/darp/run.py --sets R --limits 30  # the Cordeau-Laporte 2003 set
    .venv/bin/python bench/darp/run.py --report              # rewrite RESULTS.md and chart.svg from results.json

Every solution (ours, OR-Tools, VROOM) is judged by the independent checker; costs are recomputed from the
routes' node ids in double precision. Results are merged into ``results.json`` (key: method, limit,
instance), so runs of subsets accumulate. Run niced on a shared machine: ``nice -n 5``.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from gongwu.routing.vrp import check, node_routes, read_cordeau, route_cost, solve, warm_up  # noqa: E402

DARP = ROOT / "data" / "reference" / "darp"
RESULTS = HERE / "results.json"


def bks_table() -> dict[str, float]:
    out: dict[str, float] = {}
    for name in ("bks.csv", "bks_cordeau_laporte2003.csv"):
        if (DARP / name).exists():
            with open(DARP / name) as f:
                out.update({r["instance"]: float(r["bks_cost"]) for r in csv.DictReader(f)})
    return out


def instance_paths(sets: list[str], names: list[str] | None) -> list[Path]:
    paths: list[Path] = []
    for s in sets:
        if s in ("a", "b"):
            paths += sorted((DARP / "cordeau2006").glob(f"{s}*-*.txt"), key=_order)
        elif s == "R":
            paths += sorted((DARP / "cordeau-laporte2003").glob("R*.txt"), key=_order)
    if names:
        paths = [p for p in paths if p.stem in names]
    return paths


def _order(p: Path) -> tuple[str, int, int]:
    stem = p.stem
    if "-" in stem:
        head, n = stem.split("-")
        return head[0], int(head[1:]), int(n)
    return stem[-1], int(stem[1:-1]), 0


def run_ours(path: Path, limit: float, method: str, workers: int, seed: int) -> dict[str, Any]:
    inst = read_cordeau(path)
    t0 = time.perf_counter()
    sol = solve(inst.problem, limit, workers=workers, seed=seed, method=method)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    routes = node_routes(inst, sol)
    violations = check(inst.problem, sol)
    return {
        "cost": route_cost(inst, routes),
        "feasible": not violations and not sol.unserved,
        "wall_s": wall,
        "iterations": sol.stats.iterations,
        "unserved": len(sol.unserved),
        "routes": routes,
    }


def _ortools_job(args: tuple[str, float]) -> dict[str, Any]:
    return run_ours(Path(args[0]), args[1], "ortools", 1, 0)


def run_vroom(path: Path, decoupled: bool) -> dict[str, Any]:
    from vroom_runner import solve_vroom

    inst = read_cordeau(path)
    res = solve_vroom(inst, decoupled)
    return {
        "cost": res.cost,
        "feasible": res.feasible,
        "wall_s": res.wall_s,
        "riders_over": res.riders_over,
        "unserved": res.unassigned,
        "routes": res.routes,
    }


def load() -> dict[str, Any]:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": {}, "machine": {}}


def save(data: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True))


def record(data: dict[str, Any], method: str, limit: float | str, name: str, res: dict[str, Any]) -> None:
    bks = bks_table()
    res = dict(res)
    res["bks"] = bks.get(name)
    res["gap_pct"] = 100.0 * (res["cost"] - res["bks"]) / res["bks"] if res["bks"] else None
    data["runs"][f"{method}|{limit}|{name}"] = res
    save(data)
    gap = res["gap_pct"]
    extra = f" riders_over={res['riders_over']}" if "riders_over" in res else ""
    print(
        f"{method:>9} {limit!s:>4} {name:>6} cost {res['cost']:9.2f} gap {gap:6.2f}% "
        f"feasible {res['feasible']} wall {res['wall_s']:.2f}s{extra}",
        flush=True,
    )


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    import numba
    import ortools

    return {
        "cpu": cpu,
        "cores": mp.cpu_count(),
        "python": platform.python_version(),
        "ortools": ortools.__version__,
        "numba": numba.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="a,b", help="comma list of a, b, R")
    ap.add_argument("--instances", default="", help="comma list of instance names (subset)")
    ap.add_argument("--limits", default="10,30", help="time limits in seconds for our optimizer")
    ap.add_argument("--methods", default="ours,ortools,vroom,rolling", help="ours, ortools, vroom, rolling")
    ap.add_argument("--ortools-limit", type=float, default=30.0, help="time limit of plain OR-Tools")
    ap.add_argument("--ortools-parallel", type=int, default=2, help="plain OR-Tools runs at once (1 core each)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--report", action="store_true", help="only rewrite RESULTS.md and chart.svg")
    args = ap.parse_args()
    if args.report:
        from report import write_report

        write_report(load())
        return
    methods = set(args.methods.split(","))
    names = [x for x in args.instances.split(",") if x] or None
    paths = instance_paths(args.sets.split(","), names)
    data = load()
    data["machine"] = machine()
    warm_up()
    if "vroom" in methods:
        for p in paths:
            record(data, "vroom-raw", "-", p.stem, run_vroom(p, False))
            record(data, "vroom-dec", "-", p.stem, run_vroom(p, True))
    if "ours" in methods:
        for limit in [float(x) for x in args.limits.split(",") if x]:
            for p in paths:
                record(data, "ours", int(limit), p.stem, run_ours(p, limit, "alns", args.workers, args.seed))
    if "ortools" in methods:
        jobs = [(str(p), args.ortools_limit) for p in paths]
        with mp.get_context("fork").Pool(args.ortools_parallel) as pool:
            for p, res in zip(paths, pool.imap(_ortools_job, jobs), strict=True):
                record(data, "ortools", int(args.ortools_limit), p.stem, res)
    if "rolling" in methods:
        from rolling import rolling_benchmark

        data["rolling"] = rolling_benchmark(seed=args.seed)
        save(data)
        print(json.dumps(data["rolling"], indent=1), flush=True)
    from report import write_report

    write_report(data)


if __name__ == "__main__":
    main()
