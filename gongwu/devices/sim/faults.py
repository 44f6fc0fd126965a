"""Faults a simulated terminal can be told to commit, to test the gateway's robustness."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Faults:
    """What goes wrong. All off by default.

    - ``duplicate_every``: send every n-th report twice (same serial and content).
    - ``garbage_every``: after every n-th report, write a junk frame (0x7e, random bytes, 0x7e).
    - ``never_authenticate``: register, then report without ever sending 0x0102.
    - ``drop_after``: close the connection after this many reports, stay offline ``offline_s``, reconnect
      and batch-upload (0x0704, blind area) what was recorded offline and what was never acked.
    - ``ignore_commands``: receive platform commands without answering them.
    """

    duplicate_every: int = 0
    garbage_every: int = 0
    never_authenticate: bool = False
    drop_after: int = 0
    offline_s: float = 0.0
    ignore_commands: bool = False
