"""Terminal simulators — the one place in ``devices`` with I/O (asyncio TCP clients).

:class:`Jt808Terminal` (2013/2019), :class:`Gb32960Vehicle` (2016/2025) and :class:`FleetSimulator` drive
cars along paths and talk to a platform over real TCP; the demo, the tests and the load benchmark use them.
"""

from gongwu.devices.sim.faults import Faults
from gongwu.devices.sim.fleet import FleetSimulator, FleetStats, ring_path
from gongwu.devices.sim.gb32960 import Gb32960Vehicle, VehicleStats
from gongwu.devices.sim.jt808 import Jt808Terminal, TerminalStats
from gongwu.devices.sim.path import PathWalker, haversine_m

__all__ = [
    "Faults",
    "FleetSimulator",
    "FleetStats",
    "Gb32960Vehicle",
    "Jt808Terminal",
    "PathWalker",
    "TerminalStats",
    "VehicleStats",
    "haversine_m",
    "ring_path",
]
