"""Cars, plates, VINs, quotas, and the unit scoping of the fleet."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gongwu.core.db import Database
from gongwu.core.errors import InvalidInput
from gongwu.core.fleet.identifiers import normalise_plate, normalise_vin, plate_is_new_energy
from tests import factories as f


@pytest.mark.parametrize(
    ("raw", "expected", "nev"),
    [
        ("京A12345", "京A12345", False),
        ("京 a·1234 5", "京A12345", False),
        ("粤BD12345", "粤BD12345", True),
        ("沪A12345F", "沪A12345F", True),
        ("川A1234警", "川A1234警", False),
    ],
)
def test_valid_plates(raw: str, expected: str, nev: bool) -> None:
    assert normalise_plate(raw) == expected
    assert plate_is_new_energy(expected) is nev


@pytest.mark.parametrize("raw", ["A12345", "京I12345", "京A1234", "京AO1234", "X京12345", "京A123456"])
def test_invalid_plates(raw: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalise_plate(raw)
    assert err.value.code == "fleet.bad_plate"


def test_vin_check_digit() -> None:
    assert normalise_vin("1m8gdm9axkp042788") == "1M8GDM9AXKP042788"  # the textbook example
    with pytest.raises(InvalidInput) as err:
        normalise_vin("1M8GDM9A1KP042788")
    assert err.value.code == "fleet.bad_vin_check_digit"
    with pytest.raises(InvalidInput):
        normalise_vin("1M8GDM9AXKP04278O")


def _car(unit_id: int, **kw: Any) -> dict[str, Any]:
    return {
        "plate": f.plate(),
        "vin": f.vin(),
        "unit_id": unit_id,
        "category": "other",
        "energy_type": "fuel",
        "seats": 5,
    } | kw


async def test_registering_a_car_validates_and_respects_the_quota(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s, name="市应急管理局")
        manager = await f.user(s, organ, "fleet_manager")
        await s.commit()
    headers = await f.login(api, manager)
    quota = await api.put(f"/api/fleet/quotas/{organ.id}/emergency", json={"allowed": 1}, headers=headers)
    assert quota.json() == {"unit_id": organ.id, "category": "emergency", "allowed": 1, "used": 0}
    first = await api.post("/api/fleet/vehicles", json=_car(organ.id, category="emergency"), headers=headers)
    assert first.status_code == 201, first.text

    before = await f.snapshot(db)
    refused = [
        (_car(organ.id, category="emergency"), 409, "fleet.quota_exceeded"),
        (_car(organ.id, plate="京A1234"), 422, "fleet.bad_plate"),
        (_car(organ.id, vin="1M8GDM9A1KP042788"), 422, "fleet.bad_vin_check_digit"),
        (_car(organ.id, category="limousine"), 422, "fleet.bad_category"),
        (_car(organ.id, energy_type="bev"), 422, "fleet.battery_required"),
        (_car(organ.id, plate=first.json()["plate"]), 409, "fleet.plate_taken"),
        (_car(organ.id, seats="five"), 422, "invalid_input"),
        (_car(987654), 404, "identity.unit_not_found"),
    ]
    for body, status, code in refused:
        response = await api.post("/api/fleet/vehicles", json=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
        assert response.json()["error"]["message"]
    assert await f.snapshot(db) == before
    message = (await api.post("/api/fleet/vehicles", json=refused[0][0], headers=headers)).json()["error"]["message"]
    assert "市应急管理局" in message and "编制" in message


async def test_a_user_of_unit_a_cannot_read_list_or_change_unit_bs_cars(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        a, b = await f.unit(s), await f.unit(s)
        car_a = await f.vehicle(s, a)
        car_b = await f.vehicle(s, b)
        a_admin = await f.user(s, a, "unit_admin")
        await s.commit()
    headers = await f.login(api, a_admin)
    assert [v["id"] for v in (await api.get("/api/fleet/vehicles", headers=headers)).json()] == [car_a.id]
    assert (await api.get(f"/api/fleet/vehicles/{car_a.id}", headers=headers)).status_code == 200
    hidden = await api.get(f"/api/fleet/vehicles/{car_b.id}", headers=headers)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "fleet.vehicle_not_found"

    before = await f.snapshot(db)
    change = await api.patch(f"/api/fleet/vehicles/{car_b.id}", json={"seats": 7}, headers=headers)
    assert change.status_code == 404
    create = await api.post("/api/fleet/vehicles", json=_car(b.id), headers=headers)
    assert create.status_code == 403 and create.json()["error"]["code"] == "auth.out_of_scope"
    move = await api.patch(f"/api/fleet/vehicles/{car_a.id}", json={"unit_id": b.id}, headers=headers)
    assert move.status_code == 403
    assert await f.snapshot(db) == before

    ok = await api.patch(f"/api/fleet/vehicles/{car_a.id}", json={"seats": 7}, headers=headers)
    assert ok.status_code == 200 and ok.json()["seats"] == 7
