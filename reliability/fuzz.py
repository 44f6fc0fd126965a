"""A bounded fuzz run: the codecs, the gateways over TCP and the HTTP API, each in pytest subprocesses sized to a
time budget; the count of generated inputs and the time of each part go to reliability/results/fuzz.json.

    .venv/bin/python scripts/testenv.py -- .venv/bin/python reliability/fuzz.py [--minutes 10]

The parts, in order, share the budget (each gets its share of what is left when it starts):

* ``codecs`` — the property tests of every codec (tests/devices/test_properties.py: round trips, any chunking,
  random and corrupted frames raise only DecodeError) with N examples per property (profile ``devices-fuzz``;
  ``devices-thorough`` once N reaches its 2000). Inputs: the examples Hypothesis ran (``--hypothesis-show-statistics``).
* ``tcp`` — hostile byte streams to a running gateway of each protocol (tests/telematics/test_fuzz_tcp.py), N
  streams per protocol, rounds alternating PostgreSQL and SQLite. Inputs: the streams sent (the test's report).
* ``api`` — requests generated from the OpenAPI schema over real HTTP (tests/app/test_schema_fuzz.py), N per
  operation. Derandomised, so it runs once. Inputs: the requests sent (the test's report).

A part runs rounds while its budget allows another round of at least its smallest size: the first round is sized
from the rates measured on the 2-core reference machine, the next ones from the rate the last round achieved
(start-up included, so a part ends under its budget rather than over it). Every round is a new Hypothesis run
with a fresh seed. A failing round ends its part; Hypothesis then shrinks the failure, which may take minutes
past the budget (each round is stopped after its budget plus 15 minutes). The run exits non-zero if any part
failed; the logs are in var/fuzz/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "reliability" / "results" / "fuzz.json"
LOGS = ROOT / "var" / "fuzz"
GRACE_S = 900.0
"""How long a round may run past its part's budget before it is stopped (Hypothesis shrinking a failure)."""


@dataclass
class Round:
    size: int
    """Examples asked for: per property (codecs), per protocol (tcp), per operation (api)."""
    inputs: int
    seconds: float
    ok: bool
    returncode: int
    log: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Part:
    name: str
    what: str
    unit: str
    share: float
    first: Callable[[float], int]
    """The size of the first round for a budget in seconds."""
    run: Callable[[int, int, Path, float], Round]
    """Run round ``index`` of ``size`` (logging to a file) for a part whose budget is so many seconds."""
    least: int = 1
    most: int = 100_000
    repeat: bool = True


def _clamp(value: float, least: int, most: int) -> int:
    return max(least, min(most, int(value)))


def pytest(args: list[str], env: dict[str, str], log: Path, timeout: float) -> tuple[int, float]:
    """Run pytest in its own process group; (return code, seconds). Stopped (and failed) after ``timeout``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=os.environ | env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the pytest we started (its server threads too)
            proc.wait()
            out.write(f"\n-- stopped after {timeout:.0f} s --\n")
            code = -1
    return code, round(time.monotonic() - started, 1)


# ------------------------------------------------------------------ the parts

_TEST = re.compile(r"^(\S+::\S+):$")
_RAN = re.compile(r"(\d+) passing(?: examples)?, (\d+) failing")


def hypothesis_statistics(text: str) -> dict[str, int]:
    """Examples run per test, from ``--hypothesis-show-statistics`` (every phase: explicit, reuse, generate …)."""
    counts: dict[str, int] = {}
    test = None
    for line in text.splitlines():
        if found := _TEST.match(line.strip()):
            test = found.group(1).rsplit("::", 1)[1]
            counts.setdefault(test, 0)
        elif test is not None and (ran := _RAN.search(line)):
            counts[test] += int(ran.group(1)) + int(ran.group(2))
    return counts


def codecs_round(size: int, index: int, log: Path, budget: float) -> Round:
    profile = "devices-thorough" if size >= 2000 else "devices-fuzz"
    env = {"GONGWU_HYPOTHESIS_PROFILE": profile, "GONGWU_HYPOTHESIS_EXAMPLES": str(size)}
    args = ["tests/devices/test_properties.py", "--hypothesis-show-statistics"]
    code, seconds = pytest(args, env, log, budget + GRACE_S)
    per_test = hypothesis_statistics(log.read_text(errors="replace"))
    detail = {"profile": profile, "per_property": per_test}
    return Round(size, sum(per_test.values()), seconds, code == 0, code, _rel(log), detail)


def tcp_round(size: int, index: int, log: Path, budget: float) -> Round:
    database = ("postgres", "sqlite")[index % 2]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "tcp.json"
        env = {
            "GONGWU_FUZZ_TCP_EXAMPLES": str(size),
            "GONGWU_FUZZ_TCP_DATABASES": database,
            "GONGWU_FUZZ_TCP_REPORT": str(report),
        }
        code, seconds = pytest(["tests/telematics/test_fuzz_tcp.py"], env, log, budget + GRACE_S)
        counts = json.loads(report.read_text()) if report.exists() else {}
    detail = {k: counts.get(k, 0) for k in ("bytes", "authenticated", "stored")} | {"database": database}
    detail["per_protocol"] = {
        name.split("_")[2]: test["examples"] for name, test in counts.get("tests", {}).items() if "_" in name
    }
    ok = code == 0 and bool(counts)
    return Round(size, int(counts.get("examples", 0)), seconds, ok, code, _rel(log), detail)


def api_round(size: int, index: int, log: Path, budget: float) -> Round:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "api.json"
        env = {"GONGWU_FUZZ_API_EXAMPLES": str(size), "GONGWU_FUZZ_REPORT": str(report)}
        code, seconds = pytest(["tests/app/test_schema_fuzz.py"], env, log, budget + GRACE_S)
        counts = json.loads(report.read_text()) if report.exists() else {}
    detail = {k: v for k, v in counts.items() if k not in ("requests", "seconds", "per_operation")}
    ok = code == 0 and bool(counts)
    return Round(size, int(counts.get("requests", 0)), seconds, ok, code, _rel(log), detail)


def _rel(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# Rates of the reference machine (2 cores), start-up included: the first round's size
PARTS = [
    Part(
        "codecs",
        "codec properties (tests/devices/test_properties.py)",
        "per property",
        0.35,
        first=lambda budget: _clamp((budget - 5) / 0.4, 20, 2000),  # 12 properties: ~0.4 s per example each
        run=codecs_round,
        least=20,
        most=5000,
    ),
    Part(
        "tcp",
        "hostile streams to the gateways over TCP (tests/telematics/test_fuzz_tcp.py)",
        "per protocol",
        0.40,
        first=lambda budget: _clamp((budget - 15) / 1.0, 5, 600),  # 3 protocols: ~1 s per example each
        run=tcp_round,
        least=5,
        most=1500,
    ),
    Part(
        "api",
        "OpenAPI schema fuzz over HTTP (tests/app/test_schema_fuzz.py)",
        "per operation",
        0.25,
        first=lambda budget: _clamp((budget - 10) / 27, 2, 500),  # ~135 operations, ~0.2 s a request
        run=api_round,
        repeat=False,  # derandomised: a second run would send the same requests
    ),
]


def run_part(part: Part, budget: float, stamp: str) -> list[Round]:
    started = time.monotonic()
    size = part.first(budget)
    rounds: list[Round] = []
    while True:
        log = LOGS / f"{stamp}-{part.name}-{len(rounds) + 1}.log"
        print(f"   {part.name} round {len(rounds) + 1}: {size} {part.unit} …", flush=True)
        done = part.run(size, len(rounds), log, budget)
        rounds.append(done)
        print(
            f"   {part.name} round {len(rounds)}: {done.inputs} inputs in {done.seconds:.0f} s"
            f" — {'ok' if done.ok else f'FAILED (exit {done.returncode}), see {done.log}'}",
            flush=True,
        )
        if not done.ok or not part.repeat:
            return rounds
        left = budget - (time.monotonic() - started)
        per_unit = done.seconds / max(1, size)
        size = min(part.most, int(left / per_unit))
        if size < part.least:
            return rounds


def summary(parts: list[dict[str, Any]], seconds: float) -> str:
    head = f"{'part':<8} {'rounds':>6}  {'size of each round':<28} {'inputs':>8} {'seconds':>8} {'inputs/s':>9}  result"
    lines = [head, "-" * len(head)]
    for p in parts:
        sizes = ", ".join(str(r["size"]) for r in p["rounds"]) + f" {p['unit']}"
        rate = p["inputs"] / p["seconds"] if p["seconds"] else 0.0
        result = "ok" if p["ok"] else "FAILED"
        lines.append(
            f"{p['name']:<8} {len(p['rounds']):>6}  {sizes:<28} {p['inputs']:>8} {p['seconds']:>8.0f} {rate:>9.1f}"
            f"  {result}"
        )
    total = sum(p["inputs"] for p in parts)
    lines.append("-" * len(head))
    lines.append(f"{'total':<8} {'':>6}  {'':<28} {total:>8} {seconds:>8.0f}")
    return "\n".join(lines)


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        return sha.strip()
    except OSError:
        return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="the whole run's budget (default 10)")
    parser.add_argument("--only", choices=[p.name for p in PARTS], action="append", help="run only these parts")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()

    parts = [p for p in PARTS if not args.only or p.name in args.only]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    began = time.monotonic()
    total = args.minutes * 60
    print(f">> fuzz: {args.minutes:g} minutes for {', '.join(p.name for p in parts)}", flush=True)
    results: list[dict[str, Any]] = []
    for i, part in enumerate(parts):
        left = total - (time.monotonic() - began)
        shares = sum(p.share for p in parts[i:])
        budget = max(30.0, left * part.share / shares)
        print(f">> {part.name}: {part.what}, budget {budget:.0f} s", flush=True)
        started = time.monotonic()
        rounds = run_part(part, budget, stamp)
        results.append(
            {
                "name": part.name,
                "what": part.what,
                "unit": part.unit,
                "budget_s": round(budget),
                "seconds": round(time.monotonic() - started, 1),
                "inputs": sum(r.inputs for r in rounds),
                "ok": all(r.ok for r in rounds),
                "rounds": [asdict(r) for r in rounds],
            }
        )
    seconds = round(time.monotonic() - began, 1)
    ok = all(p["ok"] for p in results)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "minutes": args.minutes,
        "seconds": seconds,
        "inputs": sum(p["inputs"] for p in results),
        "ok": ok,
        "parts": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(summary(results, seconds))
    print(f"\n>> {'all parts passed' if ok else 'SOME PART FAILED'}; written to {_rel(args.out)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
