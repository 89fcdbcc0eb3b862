"""The cards a shift's people receive, built from the roster; the jobs deliver them.

Besides the group's confirm card, everything told privately about a shift (nudge, reminder,
change, a coordinator's summary) is a private card, not a robot message: DingTalk keeps one card
per outTrackId, so a delivery repeated after a crash (sent, then killed before the outbox row was
marked) is the same card again, never a second message. Robot messages have no such key. One
card reaches up to 20 people's chats with the robot in one call, so this costs no more of the
monthly API budget than the robot's batch messages did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cards import Button, Card, out_track_id, private_status, status_line
from core.messages import Language, reader_language, text
from core.outgoing import MAX_PRIVATE_CARD_SPACES, card_row, card_row_key, card_update_row
from services.render import details_lines, when_label
from storage.models import HOLDS_A_SEAT, Assignment, AssignmentState, Shift, Site, Volunteer
from storage.outbox import enqueue, is_queued
from storage.shifts import count_in_state

MY_STATUS = {
    AssignmentState.INVITED: "card.my_pending",
    AssignmentState.CONFIRMED: "card.my_confirmed",
    AssignmentState.DECLINED: "card.my_declined",
}


def _my_status(assignment: Assignment, volunteer: Volunteer, language: Language) -> str:
    reader = reader_language(volunteer.language_preference, language)
    return text(MY_STATUS[AssignmentState(assignment.state)], reader)


def confirm_card(
    shift: Shift,
    site: Site,
    people: Sequence[tuple[Assignment, Volunteer]],
    zone: ZoneInfo,
    language: Language,
    *,
    starts_soon: bool = False,
) -> Card:
    """Confirm / Can't make it, @-mentioning everyone on the shift; each sees their own answer."""
    assert shift.id is not None
    holding = [pair for pair in people if pair[0].state in HOLDS_A_SEAT]
    confirmed = sum(
        1 for assignment, _ in holding if assignment.state == AssignmentState.CONFIRMED
    )
    when = when_label(shift, zone, language)
    title = text("card.confirm_title", language, when=when, site=site.name)
    body_lines = [text("card.confirm_intro", language, title=shift.title or site.code)]
    body_lines += details_lines(shift, language)
    if starts_soon:
        # The T−24 h reminder rides on a card that went out late: say so on it.
        body_lines.append(text("card.starts_soon", language))
    private = {
        volunteer.staff_id: private_status(_my_status(assignment, volunteer, language))
        for assignment, volunteer in holding
        if assignment.state in MY_STATUS
    }
    return Card(
        out_track_id=out_track_id("confirm", shift.id),
        title=title,
        body="\n".join(body_lines),
        status=status_line(confirmed, shift.headcount, language),
        shift_id=shift.id,
        buttons=answer_buttons(shift.id, language),
        private=private,
        mentions={volunteer.staff_id: volunteer.nickname for _, volunteer in holding},
    )


def answer_buttons(shift_id: int, language: Language) -> tuple[Button, ...]:
    return (
        Button(text("card.button_confirm", language), "confirm", shift_id),
        Button(text("card.button_decline", language), "decline", shift_id),
    )


def withdraw_button(shift_id: int, language: Language) -> tuple[Button, ...]:
    """On a confirmed volunteer's reminder: a decline by another name, which opens backfill."""
    return (Button(text("card.button_withdraw", language), "decline", shift_id),)


def occasion(*parts: object) -> str:
    """A short, stable tag telling apart notices of one kind about one shift (``a3f09c1e``);
    the kind is then ``<kind>_<occasion>``."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8]


async def queue_notice(
    session: AsyncSession,
    *,
    kind: str,
    shift_id: int,
    people: Sequence[str],
    title: str,
    body: str,
    language: Language,
    now: datetime,
    status: str = "",
    buttons: Sequence[Button] = (),
    my_status: str | None = None,
    essential: bool = True,
) -> int:
    """One private card about one shift for ``people``, who all read ``language``: delivered
    into each one's chat with the robot, one call per :data:`MAX_PRIVATE_CARD_SPACES` people,
    as ``ds-<kind>-<shift>-<language>[-<batch>]``. Each row is queued at most once and, its
    card id being fixed, delivered at most once whatever happens to the process. Returns the
    rows queued."""
    queued = 0
    for start in range(0, len(people), MAX_PRIVATE_CARD_SPACES):
        batch = list(people[start : start + MAX_PRIVATE_CARD_SPACES])
        number = start // MAX_PRIVATE_CARD_SPACES
        suffix = f"{language}-{number}" if number else language
        card = Card(
            out_track_id=out_track_id(kind, shift_id, suffix),
            title=title,
            body=body,
            status=status,
            shift_id=shift_id,
            buttons=buttons,
            private={}
            if my_status is None
            else {staff_id: private_status(my_status) for staff_id in batch},
        )
        row = card_row(card, staff_ids=batch, language=language, now=now, essential=essential)
        queued += await enqueue(session=session, message=row)
    return queued


async def queue_group_card_update(
    session: AsyncSession,
    *,
    shift: Shift,
    volunteer: Volunteer,
    my_status: str,
    group_language: Language,
    version: str,
    now: datetime,
) -> bool:
    """The group's confirm card, if it is out, after someone answered elsewhere (a private
    card): the new count, and their own line. ``version`` tells the updates apart."""
    assert shift.id is not None
    card_id = out_track_id("confirm", shift.id)
    if not await is_queued(session=session, dedup_key=card_row_key(card_id)):
        return False  # the card, when it goes out, is built from the roster and includes it
    confirmed = await count_in_state(
        session=session, shift_id=shift.id, state=AssignmentState.CONFIRMED
    )
    row = card_update_row(
        card_id,
        public={"status": status_line(confirmed, shift.headcount, group_language)},
        private={volunteer.staff_id: private_status(my_status)},
        version=version,
        now=now,
    )
    return await enqueue(session=session, message=row)
