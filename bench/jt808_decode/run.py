"""Benchmark: JT/T 808 0x0200 frames → Position on one core, against a bare struct-unpack floor.

Run ``.venv/bin/python bench/jt808_decode/run.py [N]``. Both loops take the same realistic frames (escaped
wire bytes with additional items). The floor does only what any decoder must: strip the flags, undo escapes,
check the XOR code, unpack the header, the 28-byte location and each additional item into locals — no
objects. Ours is the ingest path the gateway uses, ``decode_positions(frame)`` (header for the ack + Position,
no typed item objects); the full typed path ``positions(decode(frame))`` is measured alongside. Results are printed as a
markdown table and written to ``bench/jt808_decode/RESULTS.md``.
"""

from __future__ import annotations

import gc
import platform
import random
import struct
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gongwu.devices import jt808 as j
from gongwu.devices.jt808.framing import checksum

HERE = Path(__file__).resolve().parent


def make_frames(n: int, seed: int = 808) -> list[bytes]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    frames = []
    for i in range(n):
        status = 0b11 | (1 << 18) | (1 << 19)
        items = (
            j.Mileage(rng.randint(0, 9_999_999) / 10),
            j.FuelGauge(rng.randint(0, 800) / 10),
            j.RecorderSpeed(rng.randint(0, 1200) / 10),
            j.ExtendedSignals(rng.getrandbits(32)),
            j.IoStatus(rng.getrandbits(16)),
            j.SignalStrength(rng.randint(0, 31)),
            j.GnssSatellites(rng.randint(0, 30)),
            j.RawItem(0xEB, rng.randbytes(rng.randint(4, 24))),
        )
        loc = j.Location(
            alarm=rng.choice((0, 0, 0, 1, 1 << 20)),
            status=status,
            lat=round(rng.uniform(18, 45), 6),
            lon=round(rng.uniform(75, 130), 6),
            altitude_m=rng.randint(0, 3000),
            speed_kmh=rng.randint(0, 1200) / 10,
            course=rng.randint(0, 359),
            time=start + timedelta(seconds=i * 7 + rng.randint(0, 5)),
            items=items,
        )
        edition: j.Edition = "2019" if i % 4 == 0 else "2013"
        phone = f"{13800000000 + i % 10000:0{20 if edition == '2019' else 12}d}"
        frames.append(j.encode(j.message(j.LocationReport(loc), phone=phone, serial=i & 0xFFFF, edition=edition)))
    return frames


_H13 = struct.Struct(">HH6sH")
_H19 = struct.Struct(">HHB10sH")
_LOC = struct.Struct(">IIIIHHH6s")
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")


def floor(frames: list[bytes]) -> int:
    """The bare loop: every field unpacked into locals, nothing built."""
    count = 0
    for frame in frames:
        data = frame[1:-1]
        if b"\x7d" in data:
            data = data.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
        if checksum(data[:-1]) != data[-1]:
            continue
        msg_id, attrs = _U16.unpack_from(data, 0)[0], _U16.unpack_from(data, 2)[0]
        if attrs & 0x4000:
            _, _, _version, _phone, _serial = _H19.unpack_from(data, 0)
            pos = 17
        else:
            _, _, _phone, _serial = _H13.unpack_from(data, 0)
            pos = 12
        end = len(data) - 1
        _alarm, _status, _lat, _lon, _alt, _speed, _course, _time = _LOC.unpack_from(data, pos)
        pos += 28
        while pos < end:
            item_id, length = data[pos], data[pos + 1]
            if item_id == 0x01 or item_id == 0x25:
                _value = _U32.unpack_from(data, pos + 2)[0]
            elif item_id == 0x02 or item_id == 0x03 or item_id == 0x2A:
                _value = _U16.unpack_from(data, pos + 2)[0]
            elif item_id == 0x30 or item_id == 0x31:
                _value = data[pos + 2]
            pos += 2 + length
        count += msg_id == 0x0200
    return count


def ours(frames: list[bytes]) -> int:
    """The ingest path: frame → header (for the ack) + Position, ``jt808.decode_positions``."""
    count = 0
    decode_positions = j.decode_positions
    for frame in frames:
        count += len(decode_positions(frame).positions)
    return count


def ours_full(frames: list[bytes]) -> int:
    """The full typed message first: frame → Jt808Message (typed items) → Position."""
    count = 0
    decode, positions = j.decode, j.positions
    for frame in frames:
        count += len(positions(decode(frame)))
    return count


def rates(loops: list[Callable[[list[bytes]], int]], frames: list[bytes], rounds: int = 7) -> list[float]:
    """Best frames per CPU-second of each loop; rounds alternate between the loops so noise hits both alike."""
    best = [float("inf")] * len(loops)
    for _ in range(rounds):
        for i, fn in enumerate(loops):
            gc.collect()
            t0 = time.process_time()  # CPU time of this process: other jobs on the box do not count
            got = fn(frames)
            best[i] = min(best[i], time.process_time() - t0)
            assert got == len(frames), (fn.__name__, got)
    return [len(frames) / b for b in best]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {platform.system()} {platform.release()}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    frames = make_frames(n)
    avg = sum(map(len, frames)) / n
    floor_rate, our_rate, full_rate = rates([floor, ours, ours_full], frames)
    ratio = our_rate / floor_rate
    table = "\n".join(
        [
            "| loop | frames/s (one core) | µs/frame |",
            "|---|---:|---:|",
            f"| bare struct-unpack floor | {floor_rate:,.0f} | {1e6 / floor_rate:.2f} |",
            f"| gongwu `decode_positions` (ingest path) → Position | {our_rate:,.0f} | {1e6 / our_rate:.2f} |",
            f"| gongwu `decode` → typed message → `positions` | {full_rate:,.0f} | {1e6 / full_rate:.2f} |",
            f"| **ratio ingest path / floor** | **{ratio:.2f}** (goal ≥ 0.50) | |",
            f"| ratio typed message path / floor | {full_rate / floor_rate:.2f} | |",
        ]
    )
    meta = (
        f"- frames: {n:,} JT/T 808 0x0200 (3/4 2013, 1/4 2019 headers), 8 additional items each, "
        f"{avg:.0f} bytes on average\n"
        f"- machine: {machine()}\n"
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        "best of 7 alternating rounds, one process, CPU time (process_time)"
    )
    print(table)
    print()
    print(meta)
    (HERE / "RESULTS.md").write_text(
        "# JT/T 808 0x0200 → Position, decoding rate\n\n"
        "`.venv/bin/python bench/jt808_decode/run.py` — see the module docstring for what each loop does.\n\n"
        f"{table}\n\n{meta}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
