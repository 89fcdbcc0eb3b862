"""The cards a shift's people receive, built from the roster; the jobs deliver them."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.cards import Button, Card, out_track_id, private_status, status_line
from bot.messages import Language, reader_language, text
from handlers.render import details_lines, when_label
from storage.models import HOLDS_A_SEAT, Assignment, AssignmentState, Shift, Site, Volunteer

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
        buttons=(
            Button(text("card.button_confirm", language), "confirm", shift.id),
            Button(text("card.button_decline", language), "decline", shift.id),
        ),
        private=private,
        mentions={volunteer.staff_id: volunteer.nickname for _, volunteer in holding},
    )
