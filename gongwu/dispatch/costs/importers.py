"""Reading the fixed fuel supplier's card statement (加油卡消费明细) from CSV or xlsx, row by row.

Headers may be Chinese or English (:data:`FUEL_COLUMNS`). Every row is checked and every problem reported with
its row number (as the spreadsheet shows it: the header is row 1) and column; the caller imports nothing unless
every row is good. Times without a zone are the bureau's wall clock.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["FUEL_COLUMNS", "FuelRow", "RowError", "parse_fuel_rows", "read_table"]

FUEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "txn_id": ("交易流水号", "流水号", "txn_id", "transaction"),
    "card_no": ("卡号", "card_no", "card"),
    "plate": ("车牌号", "车牌", "plate"),
    "time": ("交易时间", "时间", "time"),
    "station_code": ("油站编码", "站点编码", "station_code"),
    "station_name": ("油站名称", "站点名称", "station_name", "station"),
    "product": ("油品", "product"),
    "litres": ("数量(升)", "数量（升）", "升数", "数量", "litres", "liters"),
    "unit_price": ("单价", "unit_price", "price"),
    "amount": ("金额", "amount"),
    "lat": ("纬度", "lat"),
    "lon": ("经度", "lon"),
}
"""Each field and the headers it may have."""
REQUIRED = ("txn_id", "card_no", "plate", "time", "product", "litres", "unit_price", "amount")
PRODUCTS = {"92": "92#", "95": "95#", "98": "98#", "0": "0#"}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class FuelRow:
    row: int
    txn_id: str
    card_no: str
    plate: str
    at: datetime
    station_code: str | None
    station_name: str
    lat: float | None
    lon: float | None
    product: str
    litres: float
    unit_price: Decimal
    amount: Decimal


def read_table(data: bytes, filename: str) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first sheet of an xlsx, keyed by header."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("The file is neither UTF-8 nor GB18030 text.")
    reader = csv.reader(io.StringIO(text))
    try:
        lines = [r for r in reader]
    except csv.Error as exc:  # a NUL byte, a field over the csv module's limit: not a statement
        raise ValueError(f"Not a readable CSV file (line {reader.line_num}: {exc}).") from None
    if not lines:
        return []
    header = [h.strip() for h in lines[0]]
    return [dict(zip(header, (c.strip() for c in r), strict=False)) for r in lines[1:] if any(c.strip() for c in r)]


def _read_xlsx(data: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ValueError(f"Not a readable xlsx file ({exc}).") from None
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(c not in (None, "") for c in r)]


def _field(raw: dict[str, Any], key: str) -> Any:
    for name in FUEL_COLUMNS[key]:
        if name in raw and raw[name] not in (None, ""):
            value = raw[name]
            return value.strip() if isinstance(value, str) else value
    return None


def missing_columns(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    header = set(rows[0])
    return [k for k in REQUIRED if not any(n in header for n in FUEL_COLUMNS[k])]


def _decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


def _time(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace("/", "-")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a time like 2026-11-03 08:15") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _product(value: Any) -> str:
    text = str(value)
    if "柴" in text:
        return "0#"
    digits = re.search(r"\d+", text)
    if digits and digits.group() in PRODUCTS:
        return PRODUCTS[digits.group()]
    raise ValueError(f"unknown fuel {value!r} (92#, 95#, 98#, 0# diesel)")


def parse_fuel_rows(
    rows: list[dict[str, Any]], *, timezone: str, now: datetime
) -> tuple[list[FuelRow], list[RowError]]:
    """Check every row: (good rows, errors). Lookups against the database (cars, stations, duplicates) come after."""
    zone = ZoneInfo(timezone)
    good: list[FuelRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows, start=2):
        problems: list[RowError] = []
        values: dict[str, Any] = {}
        for key in REQUIRED:
            value = _field(raw, key)
            if value is None:
                problems.append(RowError(index, key, "empty"))
            values[key] = value
        if not problems:
            for key, convert in (
                ("time", lambda v: _time(v, zone)),
                ("product", _product),
                ("litres", _decimal),
                ("unit_price", _decimal),
                ("amount", _decimal),
            ):
                try:
                    values[key] = convert(values[key])
                except ValueError as exc:
                    problems.append(RowError(index, key, str(exc)))
        lat, lon = _field(raw, "lat"), _field(raw, "lon")
        try:
            lat_f = float(lat) if lat is not None else None
            lon_f = float(lon) if lon is not None else None
            if lat_f is not None and not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):  # type: ignore[operator]
                raise ValueError
        except (TypeError, ValueError):
            problems.append(RowError(index, "lat", "coordinates out of range"))
            lat_f = lon_f = None
        if not problems:
            problems += _check_amounts(index, values, now)
            txn = str(values["txn_id"])
            if txn in seen:
                problems.append(RowError(index, "txn_id", f"the same transaction as row {seen[txn]}"))
            seen.setdefault(txn, index)
        if problems:
            errors += problems
            continue
        good.append(
            FuelRow(
                row=index,
                txn_id=str(values["txn_id"]),
                card_no=str(values["card_no"]),
                plate=str(values["plate"]),
                at=values["time"],
                station_code=str(_field(raw, "station_code") or "") or None,
                station_name=str(_field(raw, "station_name") or ""),
                lat=lat_f,
                lon=lon_f,
                product=values["product"],
                litres=float(values["litres"]),
                unit_price=values["unit_price"],
                amount=values["amount"],
            )
        )
    return good, errors


def _check_amounts(index: int, values: dict[str, Any], now: datetime) -> list[RowError]:
    problems = []
    litres, price, amount = values["litres"], values["unit_price"], values["amount"]
    if not 0 < litres <= 500:
        problems.append(RowError(index, "litres", "must be more than 0 and at most 500 litres"))
    if not 0 < price <= 30:
        problems.append(RowError(index, "unit_price", "must be more than 0 and at most 30 yuan a litre"))
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        problems.append(RowError(index, "amount", "must be a positive amount in yuan and fen"))
    elif abs(litres * price - amount) > max(Decimal("0.05"), amount * Decimal("0.005")):
        problems.append(RowError(index, "amount", f"{amount} ≠ {litres} L × {price} yuan/L"))
    if values["time"] > now:
        problems.append(RowError(index, "time", "lies in the future"))
    return problems
