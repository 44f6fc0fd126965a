"""Refuel, charge and other expenses with a photo of the receipt: stored for the cost work (amount, litres or
kWh, odometer, time, place), the photo checked by its bytes and kept under DATA_DIR/uploads; bad entries
refused with their code and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from gongwu.app.platform import Platform
from gongwu.core.db import Database
from tests import factories as f
from tests.dispatch.driving.conftest import assigned
from tests.dispatch.pooling.conftest import Centre

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


def _files(data: bytes, name: str = "receipt.jpg", kind: str = "image/jpeg") -> dict[str, Any]:
    return {"receipt": (name, data, kind)}


async def test_a_refuel_with_its_receipt_is_kept_for_the_cost_work(
    api: httpx.AsyncClient, db: Database, centre: Centre, platform: Platform
) -> None:
    booking, driver = await assigned(api, centre)
    form = {
        "kind": "fuel",
        "amount": "356.80",
        "litres": "45.2",
        "odometer_km": "12010",
        "at": "2026-11-27T09:30",
        "place": "中石化 复兴门加油站",
    }
    r = await api.post("/api/driver/expenses", data=form, files=_files(JPEG), headers=driver)
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["vehicle_id"] == booking["vehicle_id"]  # the car of the driver's task
    assert row["amount"] == "356.80" and row["litres"] == 45.2 and row["odometer_km"] == 12010
    assert datetime.fromisoformat(row["at"]) == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # Beijing wall-clock
    assert row["receipt_type"] == "image/jpeg"
    assert row["status"] == "submitted" and row["plate"]
    stored = list((Path(platform.settings.core.data_dir) / "uploads" / "receipts").rglob("*.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == JPEG

    charge = {"kind": "charge", "amount": "48", "kwh": "40.5", "vehicle_id": str(centre.cars["sedan2"])}
    r = await api.post("/api/driver/expenses", data=charge, files=_files(PNG, "r.png", "image/png"), headers=driver)
    assert r.status_code == 201 and r.json()["receipt_type"] == "image/png"

    mine = (await api.get("/api/driver/expenses", headers=driver)).json()
    assert [e["kind"] for e in mine] == ["charge", "fuel"] or [e["kind"] for e in mine] == ["fuel", "charge"]
    photo = await api.get(row["receipt_url"], headers=driver)
    assert photo.status_code == 200 and photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"
    dispatcher = await f.login(api, centre.dispatcher)
    assert (await api.get(row["receipt_url"], headers=dispatcher)).status_code == 200
    other = await f.login(api, next(u for u, d in centre.drivers if d != booking["driver_id"]))
    assert (await api.get(row["receipt_url"], headers=other)).status_code == 404
    assert (await api.get("/api/driver/expenses", headers=other)).json() == []


async def test_bad_expenses_are_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, db: Database, centre: Centre, platform: Platform
) -> None:
    _, driver = await assigned(api, centre)
    before = await f.snapshot(db)
    fuel = {"kind": "fuel", "amount": "300", "litres": "40"}
    cases = [
        (fuel, _files(b"just some text, no photo"), "dispatch.receipt_not_image"),
        (fuel, _files(JPEG * 10), "dispatch.receipt_too_large"),
        (fuel, {}, "dispatch.receipt_required"),
        ({"kind": "fuel", "amount": "300"}, _files(JPEG), "dispatch.expense_litres"),
        ({"kind": "charge", "amount": "30"}, _files(JPEG), "dispatch.expense_kwh"),
        ({"kind": "bribe", "amount": "30"}, _files(JPEG), "dispatch.expense_kind"),
        ({"kind": "toll", "amount": "-5"}, _files(JPEG), "dispatch.expense_amount"),
        ({"kind": "toll", "amount": "lots"}, _files(JPEG), "dispatch.expense_amount"),
        ({"kind": "toll", "amount": "15", "odometer_km": "9000000"}, _files(JPEG), "dispatch.odometer_jump"),
    ]
    for form, files, code in cases:
        r = await api.post("/api/driver/expenses", data=form, files=files or None, headers=driver)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), (form, r.text)
    assert await f.snapshot(db) == before
    assert not (Path(platform.settings.core.data_dir) / "uploads").exists()
    staff = await f.login(api, centre.staff)
    r = await api.post("/api/driver/expenses", data={"kind": "toll", "amount": "5"}, files=_files(JPEG), headers=staff)
    assert r.status_code == 403
