"""Sub-package reassembly (分包合并) for JT/T 808, without a clock: callers pass ``now``.

Fragments are keyed by (terminal, message id, total). When every package of a set has arrived,
:meth:`Reassembler.add` returns the whole message, decoded. :meth:`Reassembler.expire` drops sets that
have waited longer than ``timeout`` and returns, for each, a 0x8003 re-send request naming the missing
package numbers — the gateway sends them (or gives up) as it sees fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from gongwu.devices._wire import BEIJING, Reader
from gongwu.devices.errors import Jt808DecodeError
from gongwu.devices.jt808.body import DECODERS, Context, Fragment, UnknownBody
from gongwu.devices.jt808.codec import Jt808Message
from gongwu.devices.jt808.downlink import ResendRequest

MAX_PACKAGES = 4096


@dataclass(slots=True)
class _PendingSet:
    first_seen: float
    first_serial: int
    header: object
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExpiredSet:
    """An incomplete set given up on: what arrived, what is missing and the 0x8003 body to ask for it."""

    terminal_id: str
    msg_id: int
    total: int
    received: tuple[int, ...]
    missing: tuple[int, ...]
    resend: ResendRequest


class Reassembler:
    """Collects :class:`Fragment` messages into whole messages; one instance per gateway (or session)."""

    def __init__(
        self,
        *,
        timeout: float = 60.0,
        utc_offset: timedelta = BEIJING,
        strict: bool = True,
        max_sets: int = 10_000,
    ) -> None:
        self.timeout = timeout
        self.utc_offset = utc_offset
        self.strict = strict
        self.max_sets = max_sets
        self._sets: dict[tuple[str, int, int], _PendingSet] = {}

    def __len__(self) -> int:
        return len(self._sets)

    def add(self, msg: Jt808Message, now: float) -> Jt808Message | None:
        """Store one fragment; return the reassembled message when the set is complete."""
        sub = msg.header.subpackage
        if sub is None or not isinstance(msg.body, Fragment):
            raise ValueError("not a sub-package fragment")
        if not 1 <= sub.index <= sub.total or sub.total > MAX_PACKAGES:
            raise Jt808DecodeError(f"package {sub.index} of {sub.total} is out of range", msg.body.data, 0)
        key = (msg.header.terminal_id, msg.header.msg_id, sub.total)
        pending = self._sets.get(key)
        if pending is None:
            if len(self._sets) >= self.max_sets:
                oldest = min(self._sets, key=lambda k: self._sets[k].first_seen)
                del self._sets[oldest]
            first_serial = (msg.header.serial - (sub.index - 1)) & 0xFFFF
            pending = self._sets[key] = _PendingSet(now, first_serial, msg.header)
        pending.parts[sub.index] = msg.body.data
        if len(pending.parts) < sub.total:
            return None
        del self._sets[key]
        data = b"".join(pending.parts[i] for i in range(1, sub.total + 1))
        header = replace(msg.header, serial=pending.first_serial, subpackage=None)
        decoder = DECODERS.get(header.msg_id)
        if decoder is None or header.encryption:
            return Jt808Message(header, UnknownBody(data))
        reader = Reader(data, Jt808DecodeError)
        return Jt808Message(header, decoder(reader, Context(header.edition, self.utc_offset, self.strict)))

    def expire(self, now: float) -> list[ExpiredSet]:
        """Give up on sets older than ``timeout``; each comes back with its 0x8003 re-send request."""
        out = []
        for key, pending in list(self._sets.items()):
            if now - pending.first_seen < self.timeout:
                continue
            del self._sets[key]
            terminal_id, msg_id, total = key
            missing = tuple(i for i in range(1, total + 1) if i not in pending.parts)
            out.append(
                ExpiredSet(
                    terminal_id,
                    msg_id,
                    total,
                    tuple(sorted(pending.parts)),
                    missing,
                    ResendRequest(pending.first_serial, missing),
                )
            )
        return out
