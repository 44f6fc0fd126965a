"""The charging planner behind one function, :func:`plan`: a time-indexed model solved as a linear program,
rounded, and re-solved with the connector decisions fixed.

Connectors of a site that are alike (same kind and kW) form a group. Slot by slot the model decides whether a
car holds a connector of a group (``x``) and how much energy it takes into its battery (``e``, kWh), under:
a car holds at most one connector; a group lends at most as many connectors as it has; a site's grid power stays
within its cap in every slot; a battery never fills past ``max_soc``; before each trip the battery holds what
the trip needs, or the missing energy (``short``) is paid for dearly and reported with its reason. The
objective is the energy bill at each site's tariff, plus a price per plug-in (``start``: someone moves a car),
minus the value of the charge left in the batteries at the end (up to ``target_soc``), plus a stability term
against the previous plan.

How it is solved (OR-Tools' linear solver, GLOP): the relaxation with ``x`` in [0, 1] gives every car's
fluid share of every connector group; the shares are rounded slot by slot (the largest shares win the
connectors, a car keeps the connector it holds while its share stays, idle bridges avoid re-plugging); the
model is solved again with ``x`` fixed to the rounding (an exact LP: energies, shortfalls). A trip left short
while the car alone could have made it gets its car priority before that trip and the rounding is repeated.
The relaxation's value is a lower bound, reported with the plan. Everything is deterministic: the same input
gives the same plan. Runs of held slots become sessions on concrete connectors (interval colouring: a car keeps
the connector it is plugged into, or had in the previous plan, when that one is free).

A plan takes about a second for 40 cars over 36 hours; still, call :func:`plan` in a worker
(``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ortools.linear_solver import pywraplp

from gongwu.dispatch.charging.feasibility import explain, local, simulate_alone
from gongwu.dispatch.charging.grid import Grid, Timeline, timelines
from gongwu.dispatch.charging.plan import ChargingPlan, PlanStats, Session, SiteLoad, TripOutcome
from gongwu.dispatch.charging.problem import ChargingProblem, ChargingSite, Connector

__all__ = ["plan"]

Key = tuple[int, int, int]
"""(car index, group index, slot)."""
EARLY = 0.002
"""Yuan per kWh and hour of delay: among equal prices, charge earlier (a car charged tonight is ready for the
trip nobody has booked yet, and a plan does not push tonight's charging into tomorrow night)."""
TIE_CAR = 1e-8
"""Yuan per kWh and car index: two cars sharing a slot's power split it one way only (a unique optimum)."""
MARGIN_KWH = 0.05
"""Planned on top of each trip's need, so rounding in carrying out the plan never leaves it a hair short."""
SHORT_TOLERANCE = MARGIN_KWH
"""kWh a trip may lack and still count as served (the LP's round-off)."""
SHORT_TRIP_KWH = 10.0
"""When comparing roundings, each trip left short also counts as this many kWh short: fewer trips fail."""
CAP_MARGIN = 1e-7
"""Relative margin under a site's cap, so floating-point round-off never shows a slot above it."""


@dataclass(frozen=True, slots=True)
class Group:
    """Alike connectors of one site."""

    index: int
    site: ChargingSite
    kind: str
    kw: float
    connectors: tuple[Connector, ...]

    @property
    def efficiency(self) -> float:
        return self.connectors[0].efficiency


def groups_of(sites: tuple[ChargingSite, ...]) -> list[Group]:
    by_key: dict[tuple[str, str, float], list[Connector]] = defaultdict(list)
    site_of = {}
    for site in sites:
        site_of[site.id] = site
        for c in site.connectors:
            by_key[(site.id, c.kind, c.kw)].append(c)
    ordered = sorted(by_key.items(), key=lambda kv: kv[0])
    return [
        Group(i, site_of[sid], kind, kw, tuple(sorted(cs, key=lambda c: c.id)))
        for i, ((sid, kind, kw), cs) in enumerate(ordered)
    ]


def group_of(groups: list[Group], connector_id: str | None) -> int | None:
    if connector_id is None:
        return None
    for g in groups:
        if any(c.id == connector_id for c in g.connectors):
            return g.index
    return None


@dataclass
class _Values:
    """A solution of the model: held slots, energies, shortfalls, what is left at the end."""

    x: dict[Key, float]
    e: dict[Key, float]
    short: dict[tuple[int, int], float]
    stored: dict[int, float]
    peaks: dict[str, float]
    objective: float


@dataclass
class _Model:
    """The LP of one problem; ``x`` is relaxed or fixed through its bounds, so GLOP re-solves warm."""

    problem: ChargingProblem
    grid: Grid
    lines: list[Timeline]
    groups: list[Group]
    solver: pywraplp.Solver = field(init=False)
    x: dict[Key, pywraplp.Variable] = field(default_factory=dict)
    e: dict[Key, pywraplp.Variable] = field(default_factory=dict)
    starts: dict[Key, pywraplp.Variable] = field(default_factory=dict)
    short: dict[tuple[int, int], pywraplp.Variable] = field(default_factory=dict)
    stored: dict[int, pywraplp.Variable] = field(default_factory=dict)
    price: dict[Key, float] = field(default_factory=dict)
    reward: dict[int, float] = field(default_factory=dict)
    initial: dict[Key, int] = field(default_factory=dict)
    stay_of: dict[Key, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        solver = pywraplp.Solver.CreateSolver("GLOP")
        assert solver is not None, "OR-Tools was built without GLOP"
        self.solver = solver
        self.by_site: dict[str, list[Group]] = defaultdict(list)
        for g in self.groups:
            self.by_site[g.site.id].append(g)
        self.prices = {
            (g.index, t): g.site.tariff.mean_price(self.grid.time(t), self.grid.time(t + 1))
            for g in self.groups
            for t in range(self.grid.count)
        }
        self.objective = self.solver.Objective()
        per_group: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
        per_site: dict[tuple[str, int], list[tuple[float, float, pywraplp.Variable]]] = defaultdict(list)
        for vi, line in enumerate(self.lines):
            charged = self._car(vi, line, per_group, per_site)
            self._energy(vi, line, charged)
        for (gi, _t), xs in per_group.items():
            if len(xs) > len(self.groups[gi].connectors):
                row = self.solver.Constraint(0, len(self.groups[gi].connectors))
                for x in xs:
                    row.SetCoefficient(x, 1)
        self.peaks: dict[str, pywraplp.Variable] = {}
        for (sid, t), terms in per_site.items():
            limit = self.problem.site(sid).cap_kw * self.grid.hours(t) * (1 - CAP_MARGIN)
            if sum(c * hi for c, hi, _ in terms) > limit:
                row = self.solver.Constraint(0, limit)
                for c, _, e in terms:
                    row.SetCoefficient(e, c)
            if self.problem.peak_cost > 0:  # peak ≥ the site's grid power in this slot
                if sid not in self.peaks:
                    self.peaks[sid] = self.solver.NumVar(0, self.problem.site(sid).cap_kw, "")
                    self.objective.SetCoefficient(self.peaks[sid], self.problem.peak_cost)
                row = self.solver.Constraint(-self.solver.infinity(), 0)
                row.SetCoefficient(self.peaks[sid], -1)
                for c, _, e in terms:
                    row.SetCoefficient(e, c / self.grid.hours(t))

    def _car(
        self,
        vi: int,
        line: Timeline,
        per_group: dict[tuple[int, int], list[pywraplp.Variable]],
        per_site: dict[tuple[str, int], list[tuple[float, float, pywraplp.Variable]]],
    ) -> dict[int, list[pywraplp.Variable]]:
        s, ev, grid = self.solver, line.ev, self.grid
        plugged = group_of(self.groups, ev.plugged_into)
        move = self.problem.plug_move_cost
        charged: dict[int, list[pywraplp.Variable]] = defaultdict(list)
        for si, stay in enumerate(line.stays):
            usable = [g for g in self.by_site.get(stay.site_id or "", []) if ev.max_kw(g.connectors[0]) > 0]
            for t in range(stay.first, stay.end):
                held = s.Constraint(0, 1) if len(usable) > 1 else None
                for g in usable:
                    key = (vi, g.index, t)
                    cap = ev.max_kw(g.connectors[0]) * g.efficiency * grid.hours(t)
                    x, e, start = s.NumVar(0, 1, ""), s.NumVar(0, cap, ""), s.NumVar(0, 1, "")
                    row = s.Constraint(-s.infinity(), 0)
                    row.SetCoefficient(e, 1)
                    row.SetCoefficient(x, -cap)
                    was = 1 if (si == 0 and t == 0 and plugged == g.index) else 0
                    before = self.x.get((vi, g.index, t - 1)) if t > stay.first else None
                    row = s.Constraint(-was if before is None else 0, s.infinity())  # start ≥ x − x(t−1)
                    row.SetCoefficient(start, 1)
                    row.SetCoefficient(x, -1)
                    if before is not None:
                        row.SetCoefficient(before, 1)
                    self.x[key], self.e[key], self.starts[key], self.stay_of[key] = x, e, start, si
                    if was:
                        self.initial[key] = 1
                    delay = (grid.time(t) - grid.start).total_seconds() / 3600
                    self.price[key] = self.prices[(g.index, t)] / g.efficiency + EARLY * delay + TIE_CAR * vi
                    self.objective.SetCoefficient(e, self.price[key])
                    self.objective.SetCoefficient(start, move)
                    if held is not None:
                        held.SetCoefficient(x, 1)
                    per_group[(g.index, t)].append(x)
                    per_site[(g.site.id, t)].append((1 / g.efficiency, cap, e))
                    charged[t].append(e)
        return charged

    def _energy(self, vi: int, line: Timeline, charged: dict[int, list[pywraplp.Variable]]) -> None:
        """Enough charge before every trip (or a reported shortfall); never above ``max_soc``; the value of
        what is left at the end."""
        s, ev, p = self.solver, line.ev, self.problem
        soc0 = ev.soc_kwh
        top = max(ev.battery_kwh * ev.max_soc, soc0)
        floor = ev.min_soc * ev.battery_kwh
        used, shorts = 0.0, []
        for k, (trip, dep) in enumerate(zip(line.trips, line.departures, strict=True)):
            before = [e for t, es in charged.items() if t < dep for e in es]
            need = trip.energy_kwh + floor + MARGIN_KWH
            short = s.NumVar(0, s.infinity(), "")
            self.short[(vi, k)] = short
            self.objective.SetCoefficient(short, p.shortfall_cost)
            shorts.append(short)
            row = s.Constraint(need - soc0 + used, s.infinity())  # charged + short ≥ need − soc0 + used
            for var in [*before, short]:
                row.SetCoefficient(var, 1)
            if before:
                row = s.Constraint(-s.infinity(), max(top - soc0 + used, 0.0))
                for var in before:
                    row.SetCoefficient(var, 1)
            used += trip.uses_kwh
        everything = [e for es in charged.values() for e in es]
        if not everything:
            return
        row = s.Constraint(-s.infinity(), max(top - soc0 + used, 0.0))
        for var in everything:
            row.SetCoefficient(var, 1)
        value = p.value_of_stored(ev)
        target = ev.battery_kwh * min(ev.max_soc, p.target_soc)
        if value > 0 and target > 0:
            z = s.NumVar(-s.infinity(), target, "")  # = min(target, the charge left), maximised
            row = s.Constraint(-s.infinity(), soc0 - used)  # z − Σ e − Σ short ≤ soc0 − used
            row.SetCoefficient(z, 1)
            for var in [*everything, *shorts]:
                row.SetCoefficient(var, -1)
            self.stored[vi], self.reward[vi] = z, value
            self.objective.SetCoefficient(z, -value)

    def stabilise(self, prev: Mapping[Key, int], weight: float) -> None:
        """Price every slot where the car's holding differs from the previous plan's."""
        offset = 0.0
        for key, x in self.x.items():
            was = prev.get(key)
            if was is None:
                continue
            self.objective.SetCoefficient(x, (-weight if was else weight))
            offset += weight if was else 0.0
        self.objective.SetOffset(offset)

    def relax(self) -> None:
        for x in self.x.values():
            x.SetBounds(0, 1)

    def fix(self, held: set[Key]) -> None:
        for key, x in self.x.items():
            value = 1 if key in held else 0
            x.SetBounds(value, value)

    def solve(self) -> _Values:
        self.objective.SetMinimization()
        status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:  # doing nothing is always feasible: shortfalls are soft
            raise RuntimeError(f"the charging LP ended with status {status}")
        return _Values(
            x={k: v.solution_value() for k, v in self.x.items()},
            e={k: max(0.0, v.solution_value()) for k, v in self.e.items()},
            short={k: v.solution_value() for k, v in self.short.items()},
            stored={k: v.solution_value() for k, v in self.stored.items()},
            peaks={k: v.solution_value() for k, v in self.peaks.items()},
            objective=self.objective.Value(),
        )

    def true_cost(self, v: _Values) -> float:
        """The objective without the stability term, in yuan (for a solution with ``x`` fixed)."""
        p = self.problem
        energy = sum(self.price[k] * e for k, e in v.e.items())
        moves = sum(
            1
            for (vi, gi, t), x in v.x.items()
            if x > 0.5 and not (v.x.get((vi, gi, t - 1), self.initial.get((vi, gi, t), 0)) > 0.5)
        )
        stored = sum(self.reward[vi] * z for vi, z in v.stored.items())
        short = sum(v.short.values())
        trips = sum(1 for value in v.short.values() if value > SHORT_TOLERANCE)
        peaks = sum(v.peaks.values()) * p.peak_cost
        return energy - stored + peaks + moves * p.plug_move_cost + (short + SHORT_TRIP_KWH * trips) * p.shortfall_cost


def _round(
    model: _Model,
    fluid: _Values,
    prev: Mapping[Key, int] | None,
    boost: Mapping[tuple[int, int], float],
    pinned: set[Key] | None = None,
) -> set[Key]:
    """Turn the fluid shares into whole connectors, slot by slot.

    The relaxation says how much each car should take in each stay and in which slots (the cheap ones); it
    spreads a connector thinly over many cars. Going forward in time, each slot's connectors go to cars that
    the relaxation charges in that slot and that still lack energy in their stay: first cars keeping the
    connector they hold (no plug move), then boosted cars (a trip was left short), then those with the nearest
    departure, then the hungriest; the strongest free connector goes first; a site's power budget (the
    relaxation's power in that slot, a little more) is spent as connectors are handed out. The exact amounts
    come from re-solving with the connectors fixed.

    ``pinned`` slots (the previous plan's) are handed out first, as they were; where the previous plan had a
    say, only cars left short get more. ``boost`` maps (car, stay) to the energy a trip after that stay was left
    short of: the car wants that much more, goes before others, and may take a connector from a car in no hurry.
    """
    grid, p = model.grid, model.problem
    by_slot: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for vi, gi, t in model.x:
        by_slot[t][vi].append(gi)
    want: dict[tuple[int, int], float] = defaultdict(float)  # (car, stay) → energy the relaxation gives it
    accept: dict[tuple[int, int], float] = defaultdict(lambda: -1.0)  # (car, stay) → dearest price it pays
    for key, energy in fluid.e.items():
        if energy > 1e-6:
            stay = (key[0], model.stay_of[key])
            want[stay] += energy
            accept[stay] = max(accept[stay], model.prices[(key[1], key[2])])
    kept = {(k[0], k[2]) for k, was in (prev or {}).items() if was and k in model.x}
    for stay, extra in boost.items():
        want[stay] += extra
    leaves = {  # (car, stay) → the slot the car leaves in
        (vi, si): line.departures[stay.trip_next] if stay.trip_next is not None else grid.count
        for vi, line in enumerate(model.lines)
        for si, stay in enumerate(line.stays)
    }
    fluid_kw: dict[tuple[str, int], float] = defaultdict(float)  # the relaxation's (flattened) site power
    for key, energy in fluid.e.items():
        group = model.groups[key[1]]
        fluid_kw[(group.site.id, key[2])] += energy / group.efficiency / grid.hours(key[2])
    held: set[Key] = set()
    holding: dict[int, int] = {}  # car → group held in the previous slot
    for t in range(grid.count):
        free = {g.index: len(g.connectors) for g in model.groups}
        budget = {s.id: min(s.cap_kw, FOLLOW * fluid_kw.get((s.id, t), 0.0) + 1.0) for s in p.sites}
        candidates = []
        now_holding: dict[int, int] = {}
        for vi, gis in by_slot.get(t, {}).items():
            pin = next((gi for gi in gis if (vi, gi, t) in (pinned or ())), None)
            if pin is not None and free[pin] > 0:
                g = model.groups[pin]
                si = model.stay_of[(vi, pin, t)]
                free[pin] -= 1
                budget[g.site.id] -= model.lines[vi].ev.max_kw(g.connectors[0])
                want[(vi, si)] -= model.lines[vi].ev.max_kw(g.connectors[0]) * g.efficiency * grid.hours(t)
                held.add((vi, pin, t))
                now_holding[vi] = pin
        for vi, gis in by_slot.get(t, {}).items():
            if vi in now_holding:
                continue
            si = model.stay_of[(vi, gis[0], t)]
            urgent = boost.get((vi, si), 0.0)
            if want[(vi, si)] <= 1e-6 and not urgent:
                continue
            if pinned is not None and not urgent and prev is not None and (vi, gis[0], t) in prev:
                continue  # patching the previous plan where it has a say: only cars left short get more
            price = min(model.prices[(gi, t)] for gi in gis)
            if price > accept[(vi, si)] + 1e-9 and not urgent:
                continue
            keeping = holding.get(vi) in gis or any(model.initial.get((vi, gi, t)) for gi in gis)
            order = (0 if keeping else 1, -urgent, 0 if (vi, t) in kept else 1, leaves[(vi, si)], -want[(vi, si)], vi)
            candidates.append((order, vi, si, gis))
        for _, vi, si, gis in sorted(candidates):
            ev = model.lines[vi].ev
            had = holding.get(vi, next((gi for gi in gis if model.initial.get((vi, gi, t))), None))
            options = sorted(
                gis, key=lambda gi: (had != gi, -fluid.x[(vi, gi, t)], -ev.max_kw(model.groups[gi].connectors[0]))
            )
            if urgent and not any(free[gi] > 0 for gi in gis):
                _bump(model, held, now_holding, free, budget, boost, leaves, vi, gis, t)
            for gi in options:
                g = model.groups[gi]
                if free[gi] <= 0 or (budget[g.site.id] <= 1e-6 and not urgent):  # the fixed LP keeps the cap
                    continue
                needs = want[(vi, si)] / g.efficiency / grid.hours(t)
                kw = min(
                    ev.max_kw(g.connectors[0]),
                    max(budget[g.site.id], 0.0),
                    max(needs, 0.0) or ev.max_kw(g.connectors[0]),
                )
                free[gi] -= 1
                budget[g.site.id] -= kw
                want[(vi, si)] -= kw * g.efficiency * grid.hours(t)
                held.add((vi, gi, t))
                now_holding[vi] = gi
                break
        holding = now_holding
    return held


def _bump(
    model: _Model,
    held: set[Key],
    holding: dict[int, int],
    free: dict[int, int],
    budget: dict[str, float],
    boost: Mapping[tuple[int, int], float],
    leaves: Mapping[tuple[int, int], int],
    vi: int,
    gis: list[int],
    t: int,
) -> None:
    """Free a connector for car ``vi`` (a trip of it was left short) from the car in no hurry that leaves last."""
    victims = [
        (leaves[(vj, model.stay_of[(vj, gj, t)])], vj, gj)
        for vj, gj in holding.items()
        if gj in gis and not boost.get((vj, model.stay_of[(vj, gj, t)]), 0.0) and vj != vi
    ]
    if not victims:
        return
    _, vj, gj = max(victims)
    held.discard((vj, gj, t))
    del holding[vj]
    free[gj] += 1
    group = model.groups[gj]
    budget[group.site.id] += model.lines[vj].ev.max_kw(group.connectors[0])


REPAIR_ROUNDS = 6
FOLLOW = 1.15
"""Connectors are handed out in a slot until the site's power reaches this much of the relaxation's (which the
peak price has spread over the cheap hours); cars left short then ignore it."""


def plan(problem: ChargingProblem, time_limit_s: float = 10.0, previous: ChargingPlan | None = None) -> ChargingPlan:
    """Plan charging for ``problem``. With ``previous``, its sessions are kept unless a new plan gains at least
    ``problem.min_gain`` yuan (the kept plan re-optimises only the amounts and what lies past its end).
    ``time_limit_s`` bounds the repair rounds (a plan normally takes a second or two)."""
    started = time.perf_counter()
    grid = Grid.of(problem)
    lines = timelines(problem, grid)
    groups = groups_of(problem.sites)
    model = _Model(problem, grid, lines, groups)
    prev = _previous(previous, lines, groups, grid) if previous is not None else None
    if prev is not None:
        model.stabilise(prev, problem.stability_cost)
    fluid = model.solve()
    best = _best_rounding(model, fluid, prev, None, started, time_limit_s)
    kept, notes = False, []
    if prev is not None:
        pinned = {k for k, v in prev.items() if v and k in model.x}
        patched = _best_rounding(model, fluid, prev, pinned, started, time_limit_s)
        if patched[0] <= best[0] + problem.min_gain:
            best, kept = patched, True
        else:
            notes.append(f"a new plan saves {patched[0] - best[0]:.2f} yuan over the previous one")
    cost, _, values = best
    stats = PlanStats(
        status="optimal-lp-rounded",
        wall_s=time.perf_counter() - started,
        objective=cost,
        bound=fluid.objective,
        kept_previous=kept,
        variables=model.solver.NumVariables(),
        notes=tuple(notes),
    )
    sessions, plugs = _assign(grid, lines, groups, _runs(values), previous)
    return ChargingPlan(
        start=grid.start,
        end=grid.end,
        slot_minutes=grid.base_minutes,
        sessions=tuple(sorted(sessions, key=lambda x: (x.start, x.site_id, x.connector_id))),
        trips=tuple(_outcomes(problem, grid, lines, values)),
        loads=tuple(_loads(problem, grid, sessions)),
        stats=stats,
        plugs=frozenset(plugs),
    )


def _best_rounding(
    model: _Model,
    fluid: _Values,
    prev: Mapping[Key, int] | None,
    pinned: set[Key] | None,
    started: float,
    time_limit_s: float,
) -> tuple[float, set[Key], _Values]:
    """Round, solve with the connectors fixed, give trips left short priority, round again; the cheapest (when
    patching the previous plan, a repair must gain ``min_gain`` to replace the plain patch)."""
    best: tuple[float, set[Key], _Values] | None = None
    boost: dict[tuple[int, int], float] = {}
    for _ in range(REPAIR_ROUNDS):
        held = _round(model, fluid, prev, boost, pinned)
        model.fix(held)
        values = model.solve()
        cost = model.true_cost(values)
        if best is None or cost < best[0] - (1e-6 if pinned is None else model.problem.min_gain):
            best = (cost, held, values)
        if not _repair_boost(model, values, boost) or time.perf_counter() - started > time_limit_s:
            break
    assert best is not None
    return best


def _repair_boost(model: _Model, values: _Values, boost: dict[tuple[int, int], float]) -> bool:
    """More want and priority for the stay before each trip left short that its car alone could have made;
    False if there is none."""
    sites = {s.id: s for s in model.problem.sites}
    grid = model.grid

    def hours(free: datetime, departure: datetime) -> float:
        return sum(grid.hours(t) for t in range(grid.first_slot_from(free), grid.slots_before(departure)))

    found = False
    for (vi, k), short in values.short.items():
        if short <= SHORT_TOLERANCE:
            continue
        line = model.lines[vi]
        leg = simulate_alone(line.ev, line.trips, sites, model.problem.now, hours)[k]
        if leg.best_at_departure + 1e-6 < line.trips[k].energy_kwh + line.ev.min_soc * line.ev.battery_kwh:
            continue
        boost[(vi, k)] = boost.get((vi, k), 0.0) + short
        found = True
    return found


def _previous(previous: ChargingPlan, lines: list[Timeline], groups: list[Group], grid: Grid) -> dict[Key, int]:
    """The previous plan's decisions on this grid: 1 where a car held a connector of a group at the start of the
    slot, 0 where the previous plan covered the slot and it did not (slots past its end stay free)."""
    vindex = {line.ev.vehicle_id: i for i, line in enumerate(lines)}
    held = set()
    for vehicle_id, connector_id, at in previous.plugs:
        g, t = group_of(groups, connector_id), grid.slot_of(at)
        if g is not None and t is not None and vehicle_id in vindex:
            held.add((vindex[vehicle_id], g, t))
    covered = grid.slots_before(previous.end)
    return {
        (vi, g.index, t): int((vi, g.index, t) in held)
        for vi in range(len(lines))
        for g in groups
        for t in range(covered)
    }


@dataclass
class _Run:
    vi: int
    gi: int
    first: int
    end: int
    units: list[float]
    initial: bool


def _runs(s: _Values) -> list[_Run]:
    """Consecutive held slots of a car on a group, trimmed of idle slots at either end."""
    held: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (vi, gi, t), x in s.x.items():
        if x > 0.5:
            held[(vi, gi)].append(t)
    runs = []
    for (vi, gi), slots in held.items():
        slots.sort()
        chunk = [slots[0]]
        for t in [*slots[1:], -1]:
            if t == chunk[-1] + 1:
                chunk.append(t)
                continue
            units = [s.e[(vi, gi, u)] for u in chunk]
            lo, hi = 0, len(chunk)
            while lo < hi and units[lo] < 1e-6:
                lo += 1
            while hi > lo and units[hi - 1] < 1e-6:
                hi -= 1
            if hi > lo:
                runs.append(_Run(vi, gi, chunk[lo], chunk[hi - 1] + 1, units[lo:hi], chunk[lo] == 0))
            chunk = [t]
    return runs


def _assign(
    grid: Grid,
    lines: list[Timeline],
    groups: list[Group],
    runs: list[_Run],
    previous: ChargingPlan | None,
) -> tuple[list[Session], set[tuple[str, str, datetime]]]:
    """Lay runs on concrete connectors: keep the one a car is plugged into, else the one it had in the previous
    plan, else the first free one (no more runs overlap than the group has connectors, so one is free)."""
    before: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    if previous is not None:
        for vehicle_id, connector_id, at in previous.plugs:
            before[vehicle_id].append((at, connector_id))
    busy_until: dict[str, int] = {}
    sessions: list[Session] = []
    plugs: set[tuple[str, str, datetime]] = set()
    base = timedelta(minutes=grid.base_minutes)
    for run in sorted(runs, key=lambda r: (r.first, not r.initial, lines[r.vi].ev.vehicle_id)):
        ev, group = lines[run.vi].ev, groups[run.gi]
        start, end = grid.time(run.first), grid.time(run.end)
        free = [c for c in group.connectors if busy_until.get(c.id, -1) <= run.first]
        liked = [ev.plugged_into] if run.initial else []
        liked += [cid for at, cid in sorted(before.get(ev.vehicle_id, [])) if start <= at < end]
        chosen = next((c for cid in liked for c in free if c.id == cid), free[0] if free else group.connectors[0])
        busy_until[chosen.id] = run.end
        profile: list[float] = []
        cost = 0.0
        for t, units in zip(range(run.first, run.end), run.units, strict=True):
            kw = units / group.efficiency / grid.hours(t)
            profile += [math.floor(kw * 1000) / 1000] * grid.base_slots(t)  # down: the cap holds after rounding
            cost += kw * grid.hours(t) * group.site.tariff.mean_price(grid.time(t), grid.time(t + 1))
        sessions.append(
            Session(
                vehicle_id=ev.vehicle_id,
                site_id=group.site.id,
                connector_id=chosen.id,
                start=start,
                end=end,
                kwh=round(sum(run.units), 3),
                grid_kwh=round(sum(run.units) / group.efficiency, 3),
                cost=round(cost, 2),
                profile_kw=tuple(profile),
                continues=run.initial and ev.plugged_into == chosen.id,
            )
        )
        plugs.update((ev.vehicle_id, chosen.id, start + i * base) for i in range(len(profile)))
    return sessions, plugs


def _loads(problem: ChargingProblem, grid: Grid, sessions: list[Session]) -> list[SiteLoad]:
    base = timedelta(minutes=grid.base_minutes)
    out = []
    for site in problem.sites:
        kw = [0.0] * grid.base_count
        for sess in sessions:
            if sess.site_id == site.id:
                first = round((sess.start - grid.start) / base)
                for i, value in enumerate(sess.profile_kw):
                    kw[first + i] += value
        out.append(SiteLoad(site.id, grid.start, grid.base_minutes, tuple(kw), site.cap_kw))
    return out


def _outcomes(problem: ChargingProblem, grid: Grid, lines: list[Timeline], s: _Values) -> list[TripOutcome]:
    sites = {site.id: site for site in problem.sites}
    tz = problem.sites[0].tariff.timezone if problem.sites else "Asia/Shanghai"

    def hours(free: datetime, departure: datetime) -> float:
        return sum(grid.hours(t) for t in range(grid.first_slot_from(free), grid.slots_before(departure)))

    charged: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for (vi, _gi, t), units in s.e.items():
        charged[vi][t] += units
    out = []
    for vi, line in enumerate(lines):
        ev = line.ev
        legs = {leg.trip.id: leg for leg in simulate_alone(ev, line.trips, sites, problem.now, hours)}
        used = 0.0
        for k, (trip, dep) in enumerate(zip(line.trips, line.departures, strict=True)):
            planned = ev.soc_kwh + sum(u for t, u in charged[vi].items() if t < dep) - used
            needed = trip.energy_kwh + ev.min_soc * ev.battery_kwh
            leg = legs[trip.id]
            reason, message = explain(ev, leg, needed, sites, tz)
            if s.short.get((vi, k), 0.0) <= SHORT_TOLERANCE:
                reason, message = "ok", ""
            elif reason == "ok":
                reason = "site_busy"
                message = (
                    f"car {ev.name} needs {needed:.1f} kWh before {local(trip.departure, tz)} for trip {trip.name}; "
                    f"alone it could have {leg.best_at_departure:.1f} kWh, but the connectors and the power cap of "
                    f"its site are taken by other cars' trips (plan: {planned:.1f} kWh)"
                )
            out.append(
                TripOutcome(
                    trip.id, ev.vehicle_id, trip.departure, needed, planned, leg.best_at_departure, reason, message
                )
            )
            used += trip.uses_kwh
    return out
