"""A fuel statement with bad rows is refused whole, every bad row named, nothing written; a good one (CSV or
xlsx) is imported once. The 公示 list and the per-vehicle evaluation open as xlsx and as PDF with their text."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
import pypdf
from openpyxl import Workbook, load_workbook

from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.costs import flows, sources
from tests import factories as f

from .conftest import STATION, Shop, at, book, fuel_csv, policy  # noqa: F401


async def _finance(db: Database, shop: Shop) -> f.User:  # type: ignore[name-defined]
    async with db.session() as s:
        user = await f.user(s, shop.centre, "finance")
        await s.commit()
        return user


async def test_a_statement_with_bad_rows_is_refused_whole_and_names_each_row(
    db: Database, api: httpx.AsyncClient, shop: Shop
) -> None:
    h = await f.login(api, await _finance(db, shop))
    async with db.session() as s:
        sedan, ev = await s.get(Vehicle, shop.cars["sedan"]), await s.get(Vehicle, shop.cars["ev"])
        assert sedan is not None and ev is not None
    bad = fuel_csv(
        {"txn": "A1", "plate": sedan.plate, "time": "2026-10-03 08:10", "litres": 40, "price": 7.5, "amount": "300.00"},
        {"txn": "A2", "plate": "京Z99999", "time": "2026-10-03 09:10", "litres": 10, "price": 7.5, "amount": "75.00"},
        {"txn": "A3", "plate": sedan.plate, "time": "yesterday", "litres": 10, "price": 7.5, "amount": "75.00"},
        {"txn": "A4", "plate": sedan.plate, "time": "2026-10-04 08:00", "litres": 10, "price": 7.5, "amount": "99.00"},
        {"txn": "A1", "plate": sedan.plate, "time": "2026-10-05 08:00", "litres": 10, "price": 7.5, "amount": "75.00"},
        {"txn": "A6", "plate": ev.plate, "time": "2026-10-05 08:00", "litres": 10, "price": 7.5, "amount": "75.00"},
        {"txn": "A7", "plate": sedan.plate, "time": "2026-10-05 09:00", "litres": 10, "price": 7.5, "amount": "75.00",
         "station": "NOPE"},
    )  # fmt: skip
    before = await f.snapshot(db)
    r = await api.post("/api/costs/imports/fuel", files={"file": ("oct.csv", bad, "text/csv")}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "costs.import_rejected"
    errors = {(e["row"], e["column"]) for e in r.json()["error"]["details"]["errors"]}
    assert errors == {(3, "plate"), (4, "time"), (5, "amount"), (6, "txn_id"), (7, "plate"), (8, "station_code")}
    assert await f.snapshot(db) == before  # nothing half-imported

    good = Workbook()
    sheet = good.active
    assert sheet is not None
    sheet.append(
        ["交易流水号", "卡号", "车牌号", "交易时间", "油站编码", "油站名称", "油品", "数量(升)", "单价", "金额"]
    )
    sheet.append(["X1", "9100", sedan.plate, "2026-10-03 08:10:00", STATION[0], STATION[1], "95#", 40, 8.1, 324.0])
    sheet.append(["X2", "9100", sedan.plate, "2026-10-17 17:40:00", STATION[0], STATION[1], "95#", 30.5, 8.1, 247.05])
    data = io.BytesIO()
    good.save(data)
    files = {"file": ("oct.xlsx", data.getvalue(), "application/octet-stream")}
    r = await api.post("/api/costs/imports/fuel", files=files, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == 2 and r.json()["amount"] == "571.05" and r.json()["matches"] == {"no_track": 2}
    again = await api.post("/api/costs/imports/fuel", files=files, headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "costs.file_imported"
    month = (await api.get(f"/api/costs/vehicles/{sedan.id}", params={"month": "2026-10"}, headers=h)).json()
    assert month["fuel_l"] == 70.5 and month["by_category"]["fuel"] == "571.05"


async def test_the_exports_open_with_their_text(db: Database, api: httpx.AsyncClient, shop: Shop, policy) -> None:  # noqa: F811
    booking = await book(db, shop, "sedan", at(4, 9), actual_km=20.0, passengers=3)
    async with db.session() as s:
        sedan = await s.get(Vehicle, shop.cars["sedan"])
        assert sedan is not None
        row = {"txn": "E1", "plate": sedan.plate, "time": "2026-10-02 08:00", "litres": 40, "price": 7.5,
               "amount": "300.00"}  # fmt: skip
        await sources.import_fuel(s, fuel_csv(row), "e.csv", policy)
        await flows.settle(s, booking, policy)
        await flows.close_month(s, "2026-10", policy)
        await s.commit()
    h = await f.login(api, await _finance(db, shop))
    r = await api.get("/api/costs/exports/publicity.xlsx", params={"month": "2026-10"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "公务用车使用情况公示（2026-10）" and rows[2][:3] == ("时间", "用车单位", "车牌")
    (trip,) = rows[3:]
    assert trip[1] == "发改委" and trip[3] == "调研" and trip[5] == 20.0 and trip[6] == 1.6
    assert Decimal(str(trip[7])) == Decimal("18.00")

    r = await api.get("/api/costs/exports/publicity.pdf", params={"month": "2026-10"}, headers=h)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    pdf = pypdf.PdfReader(io.BytesIO(r.content))
    words = _text(pdf)
    assert len(pdf.pages) >= 1 and "公务用车使用情况公示" in words and "发改委" in words and "18.00" in words

    r = await api.get("/api/costs/exports/evaluation.xlsx", params={"month": "2026-10"}, headers=h)
    sheet = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    plates = {row[0] for row in sheet[3:]}
    assert sheet[0][0] == "单车运行费用绩效评价（2026-10）" and len(plates) == 3
    r = await api.get("/api/costs/exports/evaluation.pdf", params={"month": "2026-10"}, headers=h)
    text = _text(pypdf.PdfReader(io.BytesIO(r.content)))
    assert "单车运行费用绩效评价" in text and "每公里运行费用" in text


def _text(pdf: pypdf.PdfReader) -> str:
    """The first page's text without the spacing pypdf puts between CID glyphs."""
    return "".join(ch for ch in pdf.pages[0].extract_text() if not ch.isspace() and ch != "\x00")
