"""The optimizer's worker process is killed (SIGKILL) during a solve, and its replacement too: the run answers
503 and nothing changed — no plan stored, the bookings still approved without a car. The next run starts a fresh
worker and picks them up."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx
import pytest

from gongwu.core.db import Database
from gongwu.dispatch.pooling import worker
from gongwu.dispatch.pooling.settings import PoolingSettings
from tests import factories as f

from .conftest import GOV, MARKET, STATION, Centre, approved


@pytest.fixture
def pooling_settings(centre: Centre) -> PoolingSettings:
    return PoolingSettings(depot=GOV, time_limit_s=2.0, planner_enabled=False)


async def _kill_workers_until(done: asyncio.Task[httpx.Response]) -> int:
    """Kill every optimizer worker that shows up while ``done`` runs; how many were killed."""
    killed: set[int] = set()
    while not done.done():
        for pid in worker.worker_pids():
            if pid not in killed:
                await asyncio.sleep(0.3)  # let it take the problem
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                killed.add(pid)
        await asyncio.sleep(0.05)
    return len(killed)


async def test_a_killed_worker_changes_nothing_and_the_next_run_plans(
    api: httpx.AsyncClient, centre: Centre, db: Database
) -> None:
    first = await approved(api, centre)
    second = await approved(api, centre, frm=MARKET, to=STATION, start_in=40)
    dispatcher = await f.login(api, centre.dispatcher)
    worker.shutdown()  # a fresh worker for this test

    running = asyncio.create_task(api.post("/api/dispatch/plans/run", headers=dispatcher))
    killed = await _kill_workers_until(running)
    response = await running
    assert killed == 2, killed
    assert response.status_code == 503 and response.json()["error"]["code"] == "dispatch.solver_unavailable"
    plans = (await api.get("/api/dispatch/plans", headers=dispatcher)).json()
    assert plans["proposal"] is None and plans["in_force"] is None
    for booking in (first, second):
        now = (await api.get(f"/api/bookings/{booking['id']}", headers=dispatcher)).json()
        assert (now["status"], now["vehicle_id"]) == ("approved", None)

    again = await api.post("/api/dispatch/plans/run", headers=dispatcher)
    assert again.status_code == 200, again.text
    plan = again.json()["plan"]
    served = {stop["booking_id"] for route in plan["routes"] for stop in route["stops"]}
    assert served == {first["id"], second["id"]}
    accepted = await api.post(f"/api/dispatch/plans/{plan['id']}/accept", headers=dispatcher)
    assert accepted.status_code == 200 and set(accepted.json()["assigned"]) == {first["id"], second["id"]}
