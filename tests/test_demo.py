"""`dingshift demo` as a person runs it: a fresh process, no configuration, exit 0, and the same
story whatever day it is started on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.demo import SCRIPT, TAPS, VOLUNTEER_COUNT

# Each weekday (2026-12-07 is a Monday), a month end and a year end.
START_DATES = (
    *(f"2026-12-{day:02d}T10:15" for day in range(7, 14)),
    "2027-02-28T23:50",
    "2026-12-31T23:30",
)
FIXED_START = "2026-12-09T10:15"  # a Wednesday


def _run_demo(directory: Path, *extra: str) -> str:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DINGSHIFT_", "DINGTALK_"))
    }
    directory.mkdir(exist_ok=True)
    finished = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", *extra],
        cwd=directory,  # nothing from the checkout's folder is needed
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert not list(directory.iterdir()), "the demo leaves no files behind"
    return finished.stdout


def _shape(transcript: str) -> str:
    """The transcript without what depends on the day: dates, weekday names, clock times and
    the usage numbers and months (replies take the session webhook or the API depending on the
    time; the story may cross a month end)."""
    shape = re.sub(r"\d{4}-\d{2}(-\d{2})?", "<date>", transcript)
    shape = re.sub(r"\d{2}-\d{2}", "<date>", shape)
    shape = re.sub(r"\b\d{2}:\d{2}\b", "<time>", shape)
    shape = re.sub(r"\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", "[<day> ", shape)
    shape = re.sub(r"[一二三四五六日](?= <date>)", "<day>", shape)
    shape = re.sub(r"count for [^:]*: [^\n]*", "count for <months>: <numbers>", shape)
    return re.sub(r"sandbox at http://127\.0\.0\.1:\d+", "sandbox at <address>", shape)


def test_demo_prints_a_transcript_and_exits_cleanly(tmp_path: Path) -> None:
    transcript = _run_demo(tmp_path, "--start", FIXED_START)
    assert "36 volunteers registered in 3 site groups." in transcript
    assert "[深水埗派米站 SSP Food Bank] 家明: /登記 district=深水埗" in transcript
    assert "多謝登記，家明！" in transcript
    assert "district=“Mong Kok” is not valid." in transcript
    assert "Please ask a coordinator to invite you" in transcript
    assert "已更新你嘅登記，家明" in transcript
    assert "I don't know the command “/shfit”." in transcript
    assert "Did you mean /shift list?" in transcript  # the transcript drops markdown
    assert "❌ 家明：同 #1（六" in transcript
    assert "撞時間" in transcript
    assert "/shift add is for coordinators and above." in transcript
    assert "DingShift card ds-confirm-1 @家明" in transcript
    assert "[家明 taps confirm on #1] card now shows 已確認 1/4" in transcript
    assert "DingShift → 李嘉欣 (private card):\n    有位要人頂" in transcript  # Bobby's seat
    assert "仲有位，先到先得   [我可以頂上]" in transcript
    assert "DingShift → 陳嘉欣 (private card):\n    請確認 #4\n    你仲未回覆呢更" in transcript
    assert "DingShift → 家明 (private card):\n    提提你：#1\n    ⏰ 提提你" in transcript
    assert "[臨時嚟唔到]" in transcript
    counts = re.findall(r"count for [^:]*: (\d+) stream deliveries", transcript)
    assert [int(count) for count in counts] == [VOLUNTEER_COUNT + len(SCRIPT) + len(TAPS)]


def test_the_demo_tells_the_same_story_from_any_start_date(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        transcripts = dict(
            zip(
                START_DATES,
                pool.map(
                    lambda start: _run_demo(tmp_path / start[:10], "--start", start), START_DATES
                ),
                strict=True,
            )
        )
    reference = _shape(transcripts[START_DATES[0]])
    assert "ds-confirm-1" in reference
    assert "請確認 #4" in reference
    for start, transcript in transcripts.items():
        assert _shape(transcript) == reference, f"the demo started {start} differs"
