"""Every reply fits DingTalk's limit on a robot message (15,000 bytes of ``msgParam``): the
biggest realistic answers, a shift list of 200 shifts and a roster of 300 people, are queued
whole or cut with a line saying how much was left out, never refused by DingTalk."""

from __future__ import annotations

import json
from datetime import time, timedelta

from sqlmodel import select

from storage.database import SessionFactory
from storage.models import Assignment, AssignmentState, Shift, Site, Volunteer
from tests.scenario import START, Scenario, day_ahead, starts

# DingTalk's limit, written out here rather than imported: the test states what DingTalk refuses.
MAX_MSG_PARAM_BYTES = 15_000
# As long as DingTalk nicknames plausibly get: 40 characters, 3 bytes each in UTF-8.
LONG_NICK = "陳大文" * 13 + "{number}"


def msg_param_bytes(text: str) -> int:
    """The ``msgParam`` a reply becomes, with room for the @-mention line of the sender."""
    param = {
        "title": "DingShift",
        "text": "@u-coord-is-64-characters-long-at-most-" + "x" * 25 + text,
    }
    return len(json.dumps(param, ensure_ascii=False).encode())


async def crowd(sessions: SessionFactory, *, shifts: int, people: int) -> int:
    """``shifts`` shifts at the one site over the next days, ``people`` volunteers with long
    nicknames confirmed on the first; its id."""
    async with sessions.begin() as session:
        site = (await session.exec(select(Site))).one()
        rows = []
        for number in range(shifts):
            day = day_ahead(1 + number % 6)
            hour = 6 + number // 6 % 14
            rows.append(
                Shift(
                    site_id=site.id or 0,
                    occurs_on=day,
                    starts_at=starts(day, time(hour)),
                    ends_at=starts(day, time(hour)) + timedelta(minutes=30),
                    headcount=500,
                    title=f"Shift {number}",
                    created_by="t",
                    created_at=START,
                    updated_at=START,
                )
            )
        session.add_all(rows)
        await session.flush()
        first = rows[0].id
        assert first is not None
        crowd = [
            Volunteer(
                staff_id=f"u-{number}",
                nickname=LONG_NICK.format(number=number),
                registered_at=START,
                updated_at=START,
            )
            for number in range(people)
        ]
        session.add_all(crowd)
        await session.flush()
        session.add_all(
            Assignment(
                shift_id=first,
                volunteer_id=volunteer.id or 0,
                state=AssignmentState.CONFIRMED,
                assigned_by="t",
                created_at=START,
                updated_at=START,
            )
            for volunteer in crowd
        )
    return first


async def test_the_biggest_realistic_replies_fit_one_robot_message(ssp: Scenario) -> None:
    first = await crowd(ssp.sessions, shifts=200, people=300)

    [shift_list] = await ssp.say(f"/shift list {day_ahead(1)}..{day_ahead(6)}")
    [roster] = await ssp.say(f"/roster {first}")
    [help_all] = await ssp.say("/help all")

    for reply in (shift_list, roster, help_all):
        assert msg_param_bytes(reply) <= MAX_MSG_PARAM_BYTES, len(reply.encode())
    assert "陳大文" in roster
    assert "line(s) not shown in full: too long for one message" in roster
    assert "行太長，冇完整顯示" in roster
