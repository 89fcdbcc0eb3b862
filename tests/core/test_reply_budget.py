"""One place cuts what the bot says to DingTalk's 15,000 bytes of ``msgParam``."""

from __future__ import annotations

import json

import pytest

from core.incoming import ChatMessage, Sender
from core.outgoing import MAX_MSG_PARAM_BYTES, MENTION_ROOM, fit_message, group_row, reply_row
from core.router import Reply
from tests.scenario import START

LIMIT = MAX_MSG_PARAM_BYTES - MENTION_ROOM


def msg_param_bytes(title: str, text: str) -> int:
    return len(json.dumps({"title": title, "text": text}, ensure_ascii=False).encode())


def test_a_message_that_fits_is_left_whole() -> None:
    text = "**#1** 六 12-06\n" * 100
    assert fit_message("DingShift", text, "en") == text


CASES = {
    "many short lines": "\n".join(f"- #{n} 陳大文 Chan Tai Man" for n in range(2_000)),
    "one enormous line": "、".join(["陳大文"] * 10_000),
    "lines that grow in JSON": '\\"\n' * 8_000,
    "a long line after short ones": "a\n" * 10 + "字" * 20_000 + "\nlast",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_too_long_a_message_is_cut_to_fit_with_a_bilingual_note(text: str) -> None:
    fitted = fit_message("DingShift", text, "zh-HK")

    assert msg_param_bytes("DingShift", fitted) <= LIMIT
    assert len(fitted) > LIMIT // 4  # most of the room is used
    first, second = fitted.splitlines()[-2:]
    assert first.startswith("…有 ")
    assert second.startswith("…")
    assert second.endswith("line(s) not shown in full: too long for one message.")


def test_the_note_counts_the_lines_left_out() -> None:
    lines = [f"line {n:05d} " + "x" * 90 for n in range(1_000)]
    fitted = fit_message("T", "\n".join(lines), "en")

    shown = [line for line in fitted.splitlines() if line.startswith("line ")]
    whole = [line for line in shown if not line.endswith("…")]
    assert shown[: len(whole)] == lines[: len(whole)]
    assert f"…{len(lines) - len(whole)} line(s) not shown in full" in fitted


def test_replies_and_group_messages_are_cut_where_they_become_rows() -> None:
    huge = "名" * 20_000
    chat = ChatMessage(
        msg_id="m1",
        conversation_id="cid",
        is_group=True,
        conversation_title="SSP",
        sender=Sender(dingtalk_id="d", nick="Ada", staff_id="u-ada"),
        mentioned_staff_ids=(),
        text="/roster 1",
        session_webhook=None,
        session_webhook_expires_at=None,
        sent_at=START,
    )
    reply = reply_row(chat, Reply(huge), sequence=0, now=START, language="en")
    group = group_row("g", title="T", body=huge, conversation_id="cid", now=START, language="en")

    for row in (reply, group):
        assert msg_param_bytes("T", row.payload["text"]) <= LIMIT
        assert row.payload["text"].endswith("…有 1 行太長，冇完整顯示。")
