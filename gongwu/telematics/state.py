"""State shared by every process of the platform: the live state of each car and which gateway holds which
terminal. With Redis configured it lives in Redis (hashes), so any API process sees every car whichever gateway
it reached; with the in-process bus (one process) it lives in memory next to that bus.

``shared_state(bus)`` returns the one :class:`SharedState` of a bus (created on first use).
"""

from __future__ import annotations

import json
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gongwu.core.events import EventBus

__all__ = ["LiveStore", "SessionDirectory", "SharedState", "merge_live", "shared_state"]

LIVE_KEY = "telematics:live"
LIVE_BUILT_KEY = "telematics:live:built"
SESSIONS_KEY = "telematics:sessions"
GATEWAYS_KEY = "telematics:gateways"
GATEWAY_FRESH_S = 30.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def merge_live(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any] | None:
    """The live record after ``new`` (None: ``new`` is older than what is known). Values the new report lacks
    (a GB/T 32960 report without a position, a JT/T 808 one without SOC) are kept from the old one."""
    if old is None:
        return dict(new)
    if (old.get("ts") or 0) > (new.get("ts") or 0):
        return None
    merged = dict(old)
    for key, value in new.items():
        if value is not None:
            merged[key] = value
    return merged


class LiveStore(ABC):
    """The last known state of every car: position, speed, ignition, SOC or fuel, driver, terminal alarms."""

    @abstractmethod
    async def apply(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Merge newer records (keyed by ``vehicle_id``, ordered by ``ts``); returns the records as now stored."""

    @abstractmethod
    async def get(self, vehicle_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
        """Every car's record (or those asked for)."""

    @abstractmethod
    async def patch(self, vehicle_id: int, fields: Mapping[str, Any]) -> None:
        """Set fields of a car's record whatever its time (the driver who swiped a card)."""

    @abstractmethod
    async def clear(self) -> None: ...

    @abstractmethod
    async def built(self) -> bool:
        """Was the store filled from the database since it was last emptied (a restart, a Redis that lost its
        data)? Until it is, cars that are parked and silent would be missing from the map."""

    @abstractmethod
    async def mark_built(self) -> None: ...


class MemoryLiveStore(LiveStore):
    def __init__(self) -> None:
        self._cars: dict[int, dict[str, Any]] = {}
        self._built = False

    async def built(self) -> bool:
        return self._built

    async def mark_built(self) -> None:
        self._built = True

    async def apply(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for record in records:
            vid = int(record["vehicle_id"])
            merged = merge_live(self._cars.get(vid), record)
            if merged is not None:
                self._cars[vid] = merged
                out.append(merged)
        return out

    async def get(self, vehicle_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
        if vehicle_ids is None:
            return {k: dict(v) for k, v in self._cars.items()}
        return {v: dict(self._cars[v]) for v in vehicle_ids if v in self._cars}

    async def patch(self, vehicle_id: int, fields: Mapping[str, Any]) -> None:
        self._cars.setdefault(vehicle_id, {"vehicle_id": vehicle_id}).update(fields)

    async def clear(self) -> None:
        self._cars.clear()
        self._built = False


_MERGE_LUA = """
local out = {}
for i = 1, #ARGV, 2 do
  local new = cjson.decode(ARGV[i + 1])
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  local keep = true
  if raw then
    local old = cjson.decode(raw)
    if (old['ts'] or 0) > (new['ts'] or 0) then
      keep = false
    else
      for k, v in pairs(old) do
        if new[k] == nil or new[k] == cjson.null then new[k] = v end
      end
    end
  end
  if keep then
    local text = cjson.encode(new)
    redis.call('HSET', KEYS[1], ARGV[i], text)
    table.insert(out, text)
  end
end
return out
"""

_PATCH_LUA = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local record = raw and cjson.decode(raw) or {vehicle_id = tonumber(ARGV[1])}
local fields = cjson.decode(ARGV[2])
for k, v in pairs(fields) do record[k] = v end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1
"""


class RedisLiveStore(LiveStore):
    """A Redis hash ``telematics:live`` (vehicle id → JSON), merged atomically by a Lua script."""

    def __init__(self, client: Any) -> None:
        self._redis = client
        self._merge = client.register_script(_MERGE_LUA)
        self._patch = client.register_script(_PATCH_LUA)

    async def apply(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        args: list[str] = []
        for record in records:
            args += [str(record["vehicle_id"]), json.dumps(record, separators=(",", ":"), ensure_ascii=False)]
        if not args:
            return []
        stored = await self._merge(keys=[LIVE_KEY], args=args)
        return [json.loads(s) for s in stored]

    async def get(self, vehicle_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
        if vehicle_ids is None:
            raw = await self._redis.hgetall(LIVE_KEY)
            return {int(k): json.loads(v) for k, v in raw.items()}
        ids = list(vehicle_ids)
        if not ids:
            return {}
        values = await self._redis.hmget(LIVE_KEY, [str(i) for i in ids])
        return {i: json.loads(v) for i, v in zip(ids, values, strict=True) if v is not None}

    async def patch(self, vehicle_id: int, fields: Mapping[str, Any]) -> None:
        await self._patch(keys=[LIVE_KEY], args=[str(vehicle_id), json.dumps(dict(fields), ensure_ascii=False)])

    async def clear(self) -> None:
        await self._redis.delete(LIVE_KEY, LIVE_BUILT_KEY)

    async def built(self) -> bool:
        return bool(await self._redis.exists(LIVE_BUILT_KEY))

    async def mark_built(self) -> None:
        await self._redis.set(LIVE_BUILT_KEY, str(time.time()))


class SessionDirectory(ABC):
    """Which gateway holds which terminal (for "already registered", "online", and operators)."""

    @abstractmethod
    async def bind(self, terminal_id: int, gateway_id: str) -> None: ...

    @abstractmethod
    async def unbind(self, terminal_id: int, gateway_id: str) -> None: ...

    @abstractmethod
    async def holder(self, terminal_id: int) -> str | None:
        """The live gateway holding the terminal's connection, if any."""

    @abstractmethod
    async def online(self) -> set[int]:
        """Terminals connected to a live gateway."""

    @abstractmethod
    async def heartbeat(self, gateway_id: str) -> bool:
        """A gateway says it is alive (entries of a gateway silent for 30 s are ignored). True when the directory
        did not know the gateway (it is new, or Redis lost its data): the gateway then binds its terminals again."""

    async def bind_all(self, terminal_ids: Iterable[int], gateway_id: str) -> None:
        for terminal_id in terminal_ids:
            await self.bind(terminal_id, gateway_id)


class MemoryDirectory(SessionDirectory):
    def __init__(self) -> None:
        self._held: dict[int, str] = {}

    async def bind(self, terminal_id: int, gateway_id: str) -> None:
        self._held[terminal_id] = gateway_id

    async def unbind(self, terminal_id: int, gateway_id: str) -> None:
        if self._held.get(terminal_id) == gateway_id:
            del self._held[terminal_id]

    async def holder(self, terminal_id: int) -> str | None:
        return self._held.get(terminal_id)

    async def online(self) -> set[int]:
        return set(self._held)

    async def heartbeat(self, gateway_id: str) -> bool:
        return False


_UNBIND_LUA = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""


class RedisDirectory(SessionDirectory):
    def __init__(self, client: Any) -> None:
        self._redis = client
        self._unbind = client.register_script(_UNBIND_LUA)

    async def bind(self, terminal_id: int, gateway_id: str) -> None:
        await self._redis.hset(SESSIONS_KEY, str(terminal_id), gateway_id)

    async def unbind(self, terminal_id: int, gateway_id: str) -> None:
        await self._unbind(keys=[SESSIONS_KEY], args=[str(terminal_id), gateway_id])

    async def _live_gateways(self) -> set[str]:
        since = time.time() - GATEWAY_FRESH_S
        return {_text(g) for g in await self._redis.zrangebyscore(GATEWAYS_KEY, since, "+inf")}

    async def holder(self, terminal_id: int) -> str | None:
        raw = await self._redis.hget(SESSIONS_KEY, str(terminal_id))
        if raw is None:
            return None
        gateway = _text(raw)
        return gateway if gateway in await self._live_gateways() else None

    async def online(self) -> set[int]:
        live = await self._live_gateways()
        held = await self._redis.hgetall(SESSIONS_KEY)
        return {int(k) for k, v in held.items() if _text(v) in live}

    async def heartbeat(self, gateway_id: str) -> bool:
        return bool(await self._redis.zadd(GATEWAYS_KEY, {gateway_id: time.time()}))

    async def bind_all(self, terminal_ids: Iterable[int], gateway_id: str) -> None:
        mapping = {str(t): gateway_id for t in terminal_ids}
        if mapping:
            await self._redis.hset(SESSIONS_KEY, mapping=mapping)


@dataclass(frozen=True)
class SharedState:
    live: LiveStore
    directory: SessionDirectory


_STATES: weakref.WeakKeyDictionary[EventBus, SharedState] = weakref.WeakKeyDictionary()


def shared_state(bus: EventBus) -> SharedState:
    """The live store and session directory that go with this bus (Redis-backed for a Redis bus)."""
    state = _STATES.get(bus)
    if state is None:
        client = getattr(bus, "client", None)
        if client is not None:
            state = SharedState(RedisLiveStore(client), RedisDirectory(client))
        else:
            state = SharedState(MemoryLiveStore(), MemoryDirectory())
        _STATES[bus] = state
    return state
