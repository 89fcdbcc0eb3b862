"""Who is on a shift: booking people, taking them off, the roster.

- ``/assign <shift-id> @volunteer ...`` (``/編更``): book the @-mentioned people (state
  ``invited`` until they confirm). Everyone mentioned must be registered (``/join``); if one is
  not, nothing is booked. The booking rules (overlap, rest between shifts, full, already on it)
  are checked per person and answered in one reply.
- ``/unassign <shift-id> @volunteer ...`` (``/除更``): take them off (kept as ``withdrawn``). On a
  published shift the free seats are offered privately to the best matches (services.backfill),
  and the reply says to whom.
- ``/roster <shift-id>`` (``/名單``): confirmed, invited (no answer yet), declined, standby and
  withdrawn, by nickname; ``3/6 confirmed``; language cover against the shift's needs. Regional
  viewers only for their regions' sites.

People are the message's @-mentions (DingTalk's ``atUsers``), in order; the ``@Nick`` words typed
after the id are only used to name someone who is not registered (when they line up one to one
with the mentions; otherwise the staff id is shown).
"""

from __future__ import annotations

from datetime import timedelta

from core.messages import Language, Phrase, inert, join_list, text
from core.messages.assignments import BOOKING_REFUSALS, ROSTER_STATE_NAMES
from core.messages.shifts import FIELD_NAMES
from core.router import CommandContext, CommandSpec, Reply, UsageError
from handlers.shifts import may_see, refuse_unless_open, shift_from_words, site_of
from planner.conflicts import Refusal, too_close
from planner.lifecycle import next_step
from planner.needs import needs_unmet
from planner.registration import language_name
from services.backfill import close_if_full, offered_line, open_vacancy
from services.render import day_label, when_label
from services.timing import lifecycle_offsets, shift_progress
from storage.lifecycle import handled_steps
from storage.models import HOLDS_A_SEAT, AssignmentState, Shift, ShiftStatus, Volunteer
from storage.shifts import book, find_shift, people_on, seats_taken, slot_of, unbook
from storage.volunteers import find_volunteer

MAX_MENTION_WORDS = 64
# Roster sections, in the order a coordinator scans them.
ROSTER_STATES = (
    AssignmentState.CONFIRMED,
    AssignmentState.INVITED,
    AssignmentState.DECLINED,
    AssignmentState.STANDBY,
    AssignmentState.WITHDRAWN,
    AssignmentState.ATTENDED,
    AssignmentState.NO_SHOW,
)


def _labels(ctx: CommandContext) -> dict[str, str]:
    """staffId -> how the sender typed them (``@Ben``), when the typed words line up."""
    mentions = ctx.message.mentioned_staff_ids
    typed = [word for word in ctx.command.words[1:] if word.startswith("@") and len(word) > 1]
    if len(typed) != len(mentions):
        return {}
    return dict(zip(mentions, typed, strict=True))


async def mentioned_volunteers(ctx: CommandContext) -> list[Volunteer]:
    """The @-mentioned people, each registered, in order; else a :class:`UsageError`."""
    mentions = list(dict.fromkeys(ctx.message.mentioned_staff_ids))
    if not mentions:
        raise UsageError("assign.no_mention")
    found: list[Volunteer] = []
    unknown: list[str] = []
    for staff_id in mentions:
        volunteer = await find_volunteer(session=ctx.session, staff_id=staff_id)
        if volunteer is None or not volunteer.active:
            unknown.append(staff_id)
        else:
            found.append(volunteer)
    if unknown:
        labels = _labels(ctx)
        names = join_list([labels.get(staff_id, staff_id) for staff_id in unknown], ctx.language)
        raise UsageError("assign.not_registered", names=names)
    return found


async def _refusal_line(
    ctx: CommandContext, shift: Shift, volunteer: Volunteer, refusal: Refusal, taken: int
) -> str:
    nick = volunteer.nickname
    if refusal.reason == "overlap" and refusal.conflicting_shift_id is not None:
        other = await find_shift(session=ctx.session, shift_id=refusal.conflicting_shift_id)
        assert other is not None
        when = when_label(other, ctx.settings.org.zone, ctx.language)
        overlapping = too_close(slot_of(other), slot_of(shift), timedelta(0))
        key = "assign.refused.overlap" if overlapping else "assign.refused.too_close"
        return text(
            key,
            ctx.language,
            nick=nick,
            other=other.id,
            when=when,
            minutes=ctx.settings.schedule.min_rest_minutes,
        )
    return text(
        BOOKING_REFUSALS[refusal.reason],
        ctx.language,
        nick=nick,
        id=shift.id,
        taken=taken,
        need=shift.headcount,
    )


async def handle_assign(ctx: CommandContext) -> list[Reply]:
    shift = await shift_from_words(ctx, for_update=True)
    refuse_unless_open(shift, ctx.now)
    volunteers = await mentioned_volunteers(ctx)
    assert shift.id is not None
    booked: list[Volunteer] = []
    refused: list[tuple[Volunteer, Refusal]] = []
    for volunteer in volunteers:
        assert volunteer.id is not None
        outcome = await book(
            session=ctx.session,
            shift_id=shift.id,
            volunteer_id=volunteer.id,
            assigned_by=ctx.staff_id,
            now=ctx.now,
            min_rest=ctx.settings.schedule.min_rest,
        )
        if isinstance(outcome, Refusal):
            refused.append((volunteer, outcome))
        else:
            booked.append(volunteer)
    taken = await seats_taken(session=ctx.session, shift_id=shift.id)
    if booked:
        await close_if_full(session=ctx.session, shift=shift, settings=ctx.settings, now=ctx.now)
    lines = []
    if booked:
        names = join_list([volunteer.nickname for volunteer in booked], ctx.language)
        lines.append(
            text(
                "assign.booked",
                ctx.language,
                names=names,
                id=shift.id,
                taken=taken,
                need=shift.headcount,
            )
        )
    for volunteer, refusal in refused:
        lines.append(await _refusal_line(ctx, shift, volunteer, refusal, taken))
    return [Reply("\n\n".join(lines))]


async def handle_unassign(ctx: CommandContext) -> list[Reply]:
    shift = await shift_from_words(ctx, for_update=True)
    refuse_unless_open(shift, ctx.now)
    volunteers = await mentioned_volunteers(ctx)
    assert shift.id is not None
    removed: list[str] = []
    absent: list[str] = []
    vacated: list[int] = []
    for volunteer in volunteers:
        assert volunteer.id is not None
        done = await unbook(
            session=ctx.session, shift_id=shift.id, volunteer_id=volunteer.id, now=ctx.now
        )
        (removed if done else absent).append(volunteer.nickname)
        if done:
            vacated.append(volunteer.id)
    offered = (
        await open_vacancy(
            session=ctx.session,
            shift=shift,
            settings=ctx.settings,
            now=ctx.now,
            vacated_by=vacated,
            tell_coordinators=False,
        )
        if vacated
        else None
    )
    taken = await seats_taken(session=ctx.session, shift_id=shift.id)
    lines = []
    if removed:
        lines.append(
            text(
                "unassign.done",
                ctx.language,
                names=join_list(removed, ctx.language),
                id=shift.id,
                taken=taken,
                need=shift.headcount,
            )
        )
    if absent:
        lines.append(
            text(
                "unassign.not_on", ctx.language, names=join_list(absent, ctx.language), id=shift.id
            )
        )
    backfill = offered_line(offered, ctx.language)
    if backfill is not None:
        lines.append(backfill)
    return [Reply("\n\n".join(lines))]


def _language_cover(shift: Shift, speakers: list[list[str]], language: Language) -> str:
    missing = needs_unmet(shift.language_needs, speakers)
    parts = []
    for code, minimum in shift.language_needs.items():
        have = sum(1 for spoken in speakers if code in spoken)
        mark = (
            f" ⚠️{text('roster.language_missing', language, count=missing[code])}"
            if (code in missing)
            else " ✅"
        )
        parts.append(f"{language_name(code, language)} {have}/{minimum}{mark}")
    return join_list(parts, language)


async def handle_roster(ctx: CommandContext) -> list[Reply]:
    shift = await shift_from_words(ctx, for_update=False)
    site = await site_of(ctx, shift)
    if not may_see(ctx, site):
        raise UsageError("shift.outside_region", code=site.code)
    assert shift.id is not None
    language = ctx.language
    people = await people_on(session=ctx.session, shift_id=shift.id)
    by_state: dict[str, list[str]] = {}
    for assignment, volunteer in people:
        by_state.setdefault(assignment.state, []).append(volunteer.nickname)
    holding = [volunteer for assignment, volunteer in people if assignment.state in HOLDS_A_SEAT]
    confirmed = len(by_state.get(AssignmentState.CONFIRMED, [])) + len(
        by_state.get(AssignmentState.ATTENDED, [])
    )
    title = f" {inert(shift.title)}" if shift.title else ""
    header = (
        f"**#{shift.id} {when_label(shift, ctx.settings.org.zone, language)} {site.code}**{title}"
    )
    if shift.status == ShiftStatus.CANCELLED:
        header += " " + text("roster.cancelled", language)
    lines = [
        header,
        text(
            "roster.counts",
            language,
            confirmed=confirmed,
            booked=len(holding),
            need=shift.headcount,
        ),
    ]
    sections = [
        "- "
        + text(
            "roster.section",
            language,
            state=text(ROSTER_STATE_NAMES[state], language),
            count=len(by_state[state]),
            names=join_list(by_state[state], language),
        )
        for state in ROSTER_STATES
        if by_state.get(state)
    ]
    lines.append("\n".join(sections) if sections else text("roster.nobody", language))
    if shift.language_needs:
        cover = _language_cover(shift, [volunteer.languages for volunteer in holding], language)
        lines.append(text("roster.languages", language, cover=cover))
    if len(holding) < shift.headcount and shift.status == ShiftStatus.SCHEDULED:
        lines.append(text("roster.vacancies", language, count=shift.headcount - len(holding)))
    progress = await _lifecycle_line(ctx, shift)
    if progress is not None:
        lines.append(progress)
    return [Reply("\n\n".join(lines))]


async def _lifecycle_line(ctx: CommandContext, shift: Shift) -> str | None:
    """Where the shift is in its lifecycle: not published yet, or the next step and when."""
    if shift.status != ShiftStatus.SCHEDULED or shift.starts_at <= ctx.now:
        return None
    if shift.published_at is None:
        return text("roster.unpublished", ctx.language)
    done = await handled_steps(session=ctx.session, shift_id=shift.id or 0)
    upcoming = next_step(
        shift_progress(shift, done), lifecycle_offsets(shift, ctx.settings.schedule)
    )
    if upcoming is None:
        return None
    step = Phrase(FIELD_NAMES[upcoming.step])
    if upcoming.at <= ctx.now:
        return text("roster.next_now", ctx.language, step=step)
    local = upcoming.at.astimezone(ctx.settings.org.zone)
    when = f"{day_label(local.date(), ctx.language)} {local:%H:%M}"
    return text("roster.next", ctx.language, step=step, when=when)


ASSIGN = CommandSpec(
    name="assign",
    aliases=("編更", "编更"),
    usage="/assign <shift-id> @volunteer ...",
    summary_key="command.assign",
    details_key="command.assign.details",
    handler=handle_assign,
    max_words=MAX_MENTION_WORDS,
)
UNASSIGN = CommandSpec(
    name="unassign",
    aliases=("除更",),
    usage="/unassign <shift-id> @volunteer ...",
    summary_key="command.unassign",
    handler=handle_unassign,
    max_words=MAX_MENTION_WORDS,
)
ROSTER = CommandSpec(
    name="roster",
    aliases=("名單", "名单"),
    usage="/roster <shift-id>",
    summary_key="command.roster",
    handler=handle_roster,
    max_words=1,
)
