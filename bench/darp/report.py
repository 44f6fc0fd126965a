"""RESULTS.md and chart.svg from results.json (the hand-written reading comes from reading.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

COLUMNS = [  # (key prefix, label)
    ("ours|10", "ours 10 s"),
    ("ours|30", "ours 30 s"),
    ("ortools|30", "OR-Tools plain 30 s"),
    ("vroom-dec|-", "VROOM decoupled"),
    ("vroom-raw|-", "VROOM raw"),
]


def _names(runs: dict[str, Any]) -> list[str]:
    names = {k.split("|")[2] for k in runs}

    def order(n: str) -> tuple[str, int, int]:
        if "-" in n:
            head, m = n.split("-")
            return head[0], int(head[1:]), int(m)
        return "R" + n[-1], int(n[1:-1]), 0

    return sorted(names, key=order)


def _summary(runs: dict[str, Any], prefix: str, names: list[str]) -> dict[str, Any] | None:
    rows = [runs[f"{prefix}|{n}"] for n in names if f"{prefix}|{n}" in runs]
    if not rows:
        return None
    ok = [r for r in rows if r["feasible"]] or rows  # gaps of feasible plans only (VROOM raw: none is)
    gaps = [r["gap_pct"] for r in ok if r["gap_pct"] is not None]
    return {
        "n": len(rows),
        "mean": sum(gaps) / len(gaps) if gaps else float("nan"),
        "max": max(gaps) if gaps else float("nan"),
        "feasible": sum(1 for r in rows if r["feasible"]),
        "over2": sum(1 for g in gaps if g > 2.0),
        "over1": sum(1 for g in gaps if g > 1.0),
        "wall": sum(r["wall_s"] for r in rows) / len(rows),
        "riders_over": sum(r.get("riders_over", 0) for r in rows),
    }


def _cell(runs: dict[str, Any], key: str) -> str:
    r = runs.get(key)
    if r is None:
        return "–"
    mark = "" if r["feasible"] else " ✗"
    extra = f" ({r['riders_over']} over L)" if r.get("riders_over") else ""
    if r.get("unserved"):
        extra += f" ({r['unserved']} unserved)"
    return f"{r['cost']:.2f} / {r['gap_pct']:.2f}{mark}{extra}"


def write_report(data: dict[str, Any]) -> None:
    runs: dict[str, Any] = data.get("runs", {})
    names = _names(runs)
    ab = [n for n in names if n[0] in "ab"]
    rset = [n for n in names if n[0] == "R"]
    m = data.get("machine", {})
    out = ["# DARP benchmark results", ""]
    out.append(
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores (shared with other engineers' test runs), "
        f"Python {m.get('python', '?')}, OR-Tools {m.get('ortools', '?')}, numba {m.get('numba', '?')}; "
        f"last run {m.get('date', '?')}. Produced by `bench/darp/run.py`; raw numbers in `results.json`."
    )
    out.append("")
    reading = HERE / "reading.md"
    if reading.exists():
        out += [reading.read_text().strip(), ""]
    for title, group in (
        ("Cordeau (2006) / Ropke et al. (2007) a and b sets", ab),
        ("Cordeau-Laporte (2003) R set", rset),
    ):
        if not group:
            continue
        out += [
            f"## {title}",
            "",
            "Summary (gap % to the optimum / best known; feasibility by the independent checker):",
            "",
        ]
        out.append(
            "| solver | instances | mean gap % | max gap % | > 1 % | > 2 % | feasible | mean wall s | riders over L |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        for prefix, label in COLUMNS:
            s = _summary(runs, prefix, group)
            if s is None:
                continue
            out.append(
                f"| {label} | {s['n']} | {s['mean']:.2f} | {s['max']:.2f} | {s['over1']} | {s['over2']} | "
                f"{s['feasible']}/{s['n']} | {s['wall']:.2f} | {s['riders_over']} |"
            )
        out += [
            "",
            "Per instance: cost / gap % (✗ = rejected by the checker; VROOM raw: riders whose ride exceeds L).",
            "",
        ]
        out.append("| instance | BKS | " + " | ".join(label for _, label in COLUMNS) + " |")
        out.append("|---|---|" + "---|" * len(COLUMNS))
        for n in group:
            bks = next((runs[k]["bks"] for k in runs if k.endswith(f"|{n}")), None)
            cells = " | ".join(_cell(runs, f"{prefix}|{n}") for prefix, _ in COLUMNS)
            out.append(f"| {n} | {bks:.2f} | {cells} |" if bks else f"| {n} | – | {cells} |")
        out.append("")
    roll = data.get("rolling")
    if roll:
        out += ["## Rolling batch (generated city)", "", "| measure | value |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in roll.items()]
        out.append("")
    if ab:
        (HERE / "chart.svg").write_text(chart(runs, ab))
        out += ["## Chart", "", "![gap per instance](chart.svg)", ""]
    (HERE / "RESULTS.md").write_text("\n".join(out))


def chart(runs: dict[str, Any], names: list[str]) -> str:
    """Grouped bars: gap % per instance for ours 30 s, OR-Tools plain 30 s and VROOM decoupled."""
    series = [
        ("ours|30", "#1b7837", "ours 30 s"),
        ("ortools|30", "#2166ac", "OR-Tools plain 30 s"),
        ("vroom-dec|-", "#d6604d", "VROOM decoupled (feasible)"),
    ]
    top = 16.0
    w, h, left, bottom, topm = 1200, 420, 50, 70, 40
    plot_w, plot_h = w - left - 20, h - bottom - topm
    group = plot_w / max(1, len(names))
    bar = group / (len(series) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="10">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">Gap to optimum per instance (%), Cordeau a/b sets</text>',
    ]

    def y(g: float) -> float:
        return topm + plot_h * (1 - min(max(g, 0.0), top) / top)

    for tick in (0, 1, 2, 4, 8, 12, 16):
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick}</text>')
    parts.append(
        f'<line x1="{left}" x2="{w - 20}" y1="{y(2):.1f}" y2="{y(2):.1f}" stroke="#999" stroke-dasharray="4 3"/>'
    )
    for i, n in enumerate(names):
        x0 = left + i * group
        for j, (prefix, colour, _) in enumerate(series):
            r = runs.get(f"{prefix}|{n}")
            if r is None or r["gap_pct"] is None:
                continue
            g = r["gap_pct"]
            if not r["feasible"]:  # a dropped rider or a broken rule: no bar, a cross
                parts.append(
                    f'<text x="{x0 + (j + 1) * bar:.1f}" y="{y(0) - 2:.1f}" fill="{colour}" text-anchor="middle" '
                    f'font-size="12">✗<title>{n} {prefix}: infeasible</title></text>'
                )
                continue
            yy = y(g)
            parts.append(
                f'<rect x="{x0 + (j + 0.5) * bar:.1f}" y="{yy:.1f}" width="{bar:.1f}" height="{y(0) - yy:.1f}" '
                f'fill="{colour}"><title>{n} {prefix}: {g:.2f} %</title></rect>'
            )
        parts.append(
            f'<text transform="translate({x0 + group / 2:.1f},{h - bottom + 8}) rotate(60)" font-size="8">{n}</text>'
        )
    for j, (_, colour, label) in enumerate(series):
        parts.append(f'<rect x="{w - 260}" y="{30 + 14 * j}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{w - 245}" y="{39 + 14 * j}">{label}</text>')
    note = f"bars above {top:.0f} % are cut; dashed line: 2 %; ✗: plan rejected by the checker (a rider dropped)"
    parts.append(f'<text x="{left}" y="{h - 4}" font-size="9">{note}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
