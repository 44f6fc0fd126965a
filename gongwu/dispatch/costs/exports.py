"""The exports: the 公示 list of car use (time, unit, purpose, place, mileage, fuel, cost) and the per-vehicle
evaluation of a month, as xlsx (openpyxl) and PDF (fpdf2, with Noto Sans CJK embedded — Debian's
``fonts-noto-cjk``; without it a PDF export fails with ``costs.no_cjk_font`` rather than print empty boxes).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.errors import Unavailable
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs.models import CATEGORIES, TripCost
from gongwu.dispatch.costs.sheets import METRICS

__all__ = ["Table", "evaluation_table", "publicity_table", "to_pdf", "to_xlsx"]

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
)


class Table:
    """A titled table: what both formats print."""

    def __init__(
        self, title: str, subtitle: str, header: Sequence[str], rows: list[list[Any]], widths: Sequence[float]
    ) -> None:
        self.title, self.subtitle, self.header, self.rows, self.widths = title, subtitle, list(header), rows, widths


async def publicity_table(
    session: AsyncSession, principal: Principal | None, month: str, timezone: str, unit_id: int | None = None
) -> Table:
    """公务用车使用情况公示: every settled trip of the month in sight, oldest first."""
    zone = ZoneInfo(timezone)
    query = (
        select(TripCost, Booking, Vehicle.plate, Vehicle.l_per_100km, OrgUnit.name)
        .join(Booking, Booking.id == TripCost.booking_id)
        .join(Vehicle, Vehicle.id == TripCost.vehicle_id)
        .join(OrgUnit, OrgUnit.id == TripCost.unit_id)
        .where(TripCost.month == month)
        .order_by(Booking.planned_pickup_at, Booking.id)
    )
    if principal is not None and (clause := principal.unit_filter(TripCost.unit_id)) is not None:
        query = query.where(clause)
    if unit_id is not None:
        query = query.where(TripCost.unit_id == unit_id)
    rows: list[list[Any]] = []
    total = 0.0
    for cost, b, plate, l100, unit in (await session.execute(query)).all():
        start = (b.planned_pickup_at or b.earliest_pickup).astimezone(zone)
        end = (b.planned_dropoff_at or b.latest_arrival).astimezone(zone)
        fuel = round(cost.km * l100 / 100, 1) if l100 else None
        total += float(cost.charged + cost.pending)
        rows.append(
            [
                f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}",
                unit,
                plate,
                b.purpose,
                f"{b.pickup_address} → {b.dropoff_address}",
                round(cost.km, 1),
                fuel if fuel is not None else "—",
                float(cost.charged + cost.pending),
            ]
        )
    header = ["时间", "用车单位", "车牌", "事由", "地点", "里程(km)", "油耗(L)", "费用(元)"]
    return Table(
        f"公务用车使用情况公示（{month}）",
        f"共 {len(rows)} 趟，费用合计 {total:.2f} 元 · 生成于 {datetime.now(zone):%Y-%m-%d %H:%M}",
        header,
        rows,
        (32, 30, 20, 40, 62, 16, 16, 18),
    )


def evaluation_table(month: str, evaluations: list[dict[str, Any]], units: dict[int, str]) -> Table:
    """单车运行费用绩效评价: per car, the costs, the figures and what is flagged."""
    header = ["车牌", "单位", "类别", "里程(km)", "趟数", "运行费用(元)", "全成本(元)"]
    header += [METRICS[m][0] for m in ("cash_per_km", "cost_per_trip", "fuel_l_per_100km", "kwh_per_100km")]
    header += ["异常及原因"]
    rows = []
    for e in evaluations:
        f = e["figures"]
        rows.append(
            [
                e["plate"],
                units.get(e["unit_id"], ""),
                fleet.CATEGORIES.get(e["category"], (e["category"],))[0],
                e["km"],
                e["trips"],
                float(e["cash"]),
                float(e["total"]),
                *(f[m] if f[m] is not None else "—" for m in ("cash_per_km", "cost_per_trip")),
                *(f[m] if f[m] is not None else "—" for m in ("fuel_l_per_100km", "kwh_per_100km")),
                "；".join(flag["reason"]["zh"] for flag in e["flags"]) or "正常",
            ]
        )
    flagged = sum(1 for e in evaluations if e["flags"])
    return Table(
        f"单车运行费用绩效评价（{month}）",
        f"{len(rows)} 辆车，{flagged} 辆有异常；费用类别：" + "、".join(v[0] for v in CATEGORIES.values()),
        header,
        rows,
        (20, 26, 16, 15, 10, 20, 20, 18, 16, 16, 16, 84),
    )


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31].replace("（", "(").replace("）", ")")
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([table.subtitle])
    sheet.append(table.header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(row)
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[sheet.cell(3, index).column_letter].width = width * 0.9
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    """(path, index in the collection) of Noto Sans CJK SC."""
    configured = os.environ.get("GONGWU_PDF_FONT")
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            if not candidate.endswith(".ttc"):
                return candidate, 0
            from fontTools.ttLib import TTCollection

            names = [f["name"].getDebugName(1) for f in TTCollection(candidate, lazy=True).fonts]
            return candidate, next((i for i, n in enumerate(names) if n == "Noto Sans CJK SC"), 0)
    raise Unavailable(
        "No CJK font for the PDF: install Debian's fonts-noto-cjk (or set GONGWU_PDF_FONT to a CJK font file).",
        code="costs.no_cjk_font",
        message_zh="PDF 缺少中文字体：请安装 Debian 的 fonts-noto-cjk（或将 GONGWU_PDF_FONT 设为中文字体文件）。",
    )


def to_pdf(table: Table) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    path, index = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.set_title(table.title)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 9, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8.5)
    pdf.cell(0, 6, table.subtitle, new_x="LMARGIN", new_y="NEXT")
    scale = (pdf.w - pdf.l_margin - pdf.r_margin) / sum(table.widths)
    widths = tuple(w * scale for w in table.widths)
    pdf.set_font("cjk", size=7.5)
    headings = FontFace(emphasis="", fill_color=(235, 240, 246))
    with pdf.table(
        col_widths=widths, text_align="LEFT", line_height=4.2, first_row_as_headings=True, headings_style=headings
    ) as grid:
        grid.row([str(h) for h in table.header])
        for row in table.rows:
            grid.row([_cell(v) for v in row])
    return bytes(pdf.output())


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
