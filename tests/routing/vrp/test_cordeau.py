"""Cordeau files in, node-id routes out; the optimizer reaches the known optimum of a small instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gongwu.app.dispatch_cli import app
from gongwu.routing.vrp import check, node_routes, read_cordeau, route_cost, solve, warm_up

DARP = Path(__file__).resolve().parents[3] / "data" / "reference" / "darp"  # in the repository


@pytest.fixture(scope="module", autouse=True)
def _kernels() -> None:
    warm_up()


def test_reads_both_header_conventions() -> None:
    a = read_cordeau(DARP / "cordeau2006" / "a2-16.txt")
    assert (a.vehicles, a.requests, a.end_node, a.max_ride_time) == (2, 16, 33, 30.0)
    first = a.problem.requests[0]
    assert (first.pickup, first.dropoff, first.load, first.pickup_service) == (1, 17, 1, 3.0)
    assert a.problem.vehicles[0].max_duration == 480.0
    r = read_cordeau(DARP / "cordeau-laporte2003" / "R1a.txt")
    assert (r.vehicles, r.requests, r.end_node, r.capacity) == (3, 24, 0, 6)
    assert r.problem.requests[-1].dropoff == 48


def test_a2_16_reaches_the_optimum_and_every_plan_is_checked() -> None:
    inst = read_cordeau(DARP / "cordeau2006" / "a2-16.txt")
    sol = solve(inst.problem, 5.0, seed=0)
    assert check(inst.problem, sol) == []
    assert route_cost(inst, node_routes(inst, sol)) == pytest.approx(294.25, abs=0.006)


@pytest.mark.parametrize("name", ["b4-24", "a5-40"])
def test_benchmark_plans_pass_the_checker(name: str) -> None:
    inst = read_cordeau(DARP / "cordeau2006" / f"{name}.txt")
    sol = solve(inst.problem, 2.0, seed=1)
    assert check(inst.problem, sol) == [] and sol.unserved == ()


def test_plain_ortools_plans_pass_the_checker() -> None:
    inst = read_cordeau(DARP / "cordeau2006" / "a3-24.txt")
    sol = solve(inst.problem, 1.0, method="ortools")
    assert check(inst.problem, sol) == [] and sol.unserved == ()
    assert sol.stats.method == "ortools"
    seeded = solve(inst.problem, 1.5, ortools_start=True)  # the second worker starts from OR-Tools
    assert check(inst.problem, seeded) == [] and seeded.cost <= sol.cost * 1.01


def test_cli_prints_cost_and_node_routes() -> None:
    path = DARP / "cordeau-laporte2003" / "R1a.txt"
    result = CliRunner().invoke(app, ["darp", str(path), "--time-limit", "1.5", "--seed", "3"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[0])
    assert set(out) == {"cost", "routes"}
    inst = read_cordeau(path)
    assert all(r[0] == 0 and r[-1] == 0 for r in out["routes"])
    stops = sorted(x for r in out["routes"] for x in r[1:-1])
    assert stops == list(range(1, 49))
    assert out["cost"] == pytest.approx(route_cost(inst, out["routes"]), abs=1e-5)
    assert out["cost"] < 190.02 * 1.03
