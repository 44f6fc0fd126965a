"""The bus contract: the in-process and the Redis Streams bus behave the same."""

from __future__ import annotations

import asyncio

import pytest

from gongwu.core.events import Consumer, Delivery, EventBus


async def test_a_group_reads_events_in_publish_order(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "g")
    await bus.publish_many(topic, [{"n": i} for i in range(5)])
    got = await bus.read(topic, "g", "c1", count=10, block_ms=100)
    assert [d.payload["n"] for d in got] == [0, 1, 2, 3, 4]
    assert all(d.attempts == 1 for d in got)


async def test_every_group_sees_every_event_and_a_group_sees_it_once(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    for group in ("live", "trips"):
        await bus.ensure_group(topic, group)
    await bus.publish(topic, {"plate": "京A12345"})
    for group in ("live", "trips"):
        first = await bus.read(topic, group, "c", block_ms=100)
        assert [d.payload for d in first] == [{"plate": "京A12345"}]
        assert await bus.read(topic, group, "c", block_ms=50) == []


async def test_consumers_of_one_group_split_the_work(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "g")
    await bus.publish_many(topic, [{"n": i} for i in range(10)])
    a = await bus.read(topic, "g", "a", count=4, block_ms=100)
    b = await bus.read(topic, "g", "b", count=10, block_ms=100)
    assert sorted(d.payload["n"] for d in a + b) == list(range(10))
    assert {d.id for d in a}.isdisjoint({d.id for d in b})


async def test_unacked_events_stay_pending_and_acked_ones_leave(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "g")
    await bus.publish_many(topic, [{"n": 1}, {"n": 2}])
    got = await bus.read(topic, "g", "a", block_ms=100)
    assert await bus.pending_count(topic, "g") == 2
    await bus.ack(topic, "g", [got[0].id])
    assert await bus.pending_count(topic, "g") == 1


async def test_a_dead_consumers_pending_events_are_claimed_by_another(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "g")
    await bus.publish_many(topic, [{"n": 1}, {"n": 2}])
    await bus.read(topic, "g", "dies", block_ms=100)  # read, never acked
    assert await bus.claim_stale(topic, "g", "heir", min_idle_ms=60_000) == []  # not idle long enough
    await asyncio.sleep(0.12)
    claimed = await bus.claim_stale(topic, "g", "heir", min_idle_ms=100)
    assert [d.payload["n"] for d in claimed] == [1, 2]
    assert all(d.attempts == 2 for d in claimed)
    await bus.ack(topic, "g", [d.id for d in claimed])
    assert await bus.pending_count(topic, "g") == 0


async def test_lag_counts_what_the_group_has_not_read(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "g")
    await bus.publish_many(topic, [{"n": i} for i in range(3)])
    assert await bus.lag(topic, "g") == 3
    await bus.read(topic, "g", "c", count=2, block_ms=100)
    assert await bus.lag(topic, "g") == 1


async def test_a_new_group_can_start_after_existing_events(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "old")
    await bus.publish(topic, {"n": "before"})
    await bus.ensure_group(topic, "new", from_start=False)
    await bus.publish(topic, {"n": "after"})
    assert [d.payload["n"] for d in await bus.read(topic, "new", "c", block_ms=100)] == ["after"]


async def test_a_blocked_read_wakes_when_an_event_arrives(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    await bus.ensure_group(topic, "g")
    reader = asyncio.create_task(bus.read(topic, "g", "c", block_ms=3000))
    await asyncio.sleep(0.05)
    await bus.publish(topic, {"n": 7})
    got = await asyncio.wait_for(reader, 2)
    assert [d.payload["n"] for d in got] == [7]


async def test_broadcast_reaches_current_listeners(bus: EventBus, unique: str) -> None:
    channel = f"live.{unique}"
    async with bus.listen(channel) as feed:
        await asyncio.sleep(0.05)  # Redis subscribes asynchronously
        await bus.broadcast(channel, {"vehicle": 1, "speed": 42.5})
        got = await asyncio.wait_for(anext(feed), 2)
    assert got == (channel, {"vehicle": 1, "speed": 42.5})


async def test_consumer_acks_after_its_handler_and_retries_a_failed_batch(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"
    handled: list[int] = []
    failures = {"left": 1}

    async def handler(batch: list[Delivery]) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database restarting")
        handled.extend(d.payload["n"] for d in batch)

    consumer = Consumer(bus, topic, "g", "c", handler, block_ms=50, min_idle_ms=50, claim_every_s=0.05)
    await bus.ensure_group(topic, "g")
    await bus.publish_many(topic, [{"n": 1}, {"n": 2}])
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    for _ in range(100):
        if handled == [1, 2] and await bus.pending_count(topic, "g") == 0:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 3)
    assert handled == [1, 2]
    assert await bus.pending_count(topic, "g") == 0


async def test_a_poisonous_event_goes_to_the_dead_topic(bus: EventBus, unique: str) -> None:
    topic = f"t.{unique}"

    async def handler(batch: list[Delivery]) -> None:
        raise ValueError("cannot handle")

    consumer = Consumer(bus, topic, "g", "c", handler, block_ms=20, min_idle_ms=10, claim_every_s=0.02, max_attempts=2)
    await bus.ensure_group(topic, "g")
    await bus.ensure_group(f"{topic}.dead", "inspect")
    await bus.publish(topic, {"n": "bad"})
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    dead: list[Delivery] = []
    for _ in range(100):
        dead = await bus.read(f"{topic}.dead", "inspect", "me", block_ms=50)
        if dead:
            break
    stop.set()
    await asyncio.wait_for(task, 3)
    assert dead and dead[0].payload["payload"] == {"n": "bad"}
    assert await bus.pending_count(topic, "g") == 0


async def test_asking_about_a_group_that_does_not_exist_is_a_lookup_error(bus: EventBus, unique: str) -> None:
    """What a health check or a test polling a bus that came back empty sees: no group yet, not a crash."""
    topic = f"t.{unique}"
    for question in (bus.pending_count, bus.lag):
        with pytest.raises(LookupError, match="nobody"):  # no stream yet
            await question(topic, "nobody")
    await bus.ensure_group(topic, "g")
    assert await bus.pending_count(topic, "g") == 0
    for question in (bus.pending_count, bus.lag):
        with pytest.raises(LookupError, match="nobody"):  # the stream, but not that group
            await question(topic, "nobody")
