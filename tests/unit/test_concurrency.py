"""The update processor: users overlap, one user's updates keep their order."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.concurrency import PerUserUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "U"},
                "text": "hi",
            },
        },
        None,
    )


async def test_other_users_overlap_and_one_users_updates_keep_order() -> None:
    processor = PerUserUpdateProcessor(8)
    release_a1 = asyncio.Event()
    b1_done = asyncio.Event()
    log: list[str] = []

    async def handle(name: str, gate: asyncio.Event | None = None) -> None:
        log.append(f"start {name}")
        if gate is not None:
            await gate.wait()
        log.append(f"end {name}")
        if name == "b1":
            b1_done.set()

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 100), handle("a1", release_a1))),
        asyncio.create_task(processor.process_update(_update(2, 100), handle("a2"))),
        asyncio.create_task(processor.process_update(_update(3, 200), handle("b1"))),
    ]
    await asyncio.wait_for(b1_done.wait(), 5)
    # b1 (another user) finished while a1 is blocked; a2 waits behind a1.
    assert log == ["start a1", "start b1", "end b1"]
    release_a1.set()
    await asyncio.gather(*tasks)
    assert log == ["start a1", "start b1", "end b1", "end a1", "start a2", "end a2"]
    assert processor.active_owners() == 0


async def test_a_failing_update_releases_its_user() -> None:
    processor = PerUserUpdateProcessor(4)

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def fine() -> None:
        return None

    first = asyncio.create_task(processor.process_update(_update(1, 7), boom()))
    second = asyncio.create_task(processor.process_update(_update(2, 7), fine()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] is None
    assert processor.active_owners() == 0


async def test_a_users_waiting_updates_take_no_slot() -> None:
    processor = PerUserUpdateProcessor(2)
    release = asyncio.Event()
    other_done = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    async def other() -> None:
        other_done.set()

    backlog = [asyncio.create_task(processor.process_update(_update(i, 100), slow())) for i in range(1, 6)]
    late = asyncio.create_task(processor.process_update(_update(9, 200), other()))
    await asyncio.wait_for(other_done.wait(), 5)  # 2 slots, 5 queued updates of user 100: user 200 still runs
    assert processor.current_concurrent_updates == 1
    release.set()
    await asyncio.gather(*backlog, late)


def test_ptbs_final_process_update_is_not_overridden() -> None:
    """PTB marks process_update @final: the per-user turn and our slot are taken in do_process_update."""
    assert "process_update" not in vars(PerUserUpdateProcessor)
    assert PerUserUpdateProcessor.process_update is BaseUpdateProcessor.process_update
