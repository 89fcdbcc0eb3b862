"""`dingshift demo` as a person runs it: a fresh process, no configuration, exit 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.demo import SCRIPT, TAPS, VOLUNTEER_COUNT


def test_demo_prints_a_transcript_and_exits_cleanly(tmp_path: Path) -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DINGSHIFT_", "DINGTALK_"))
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        cwd=tmp_path,  # nothing from the checkout's folder is needed
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    transcript = finished.stdout
    assert "36 volunteers registered in 3 site groups." in transcript
    assert "[深水埗派米站 SSP Food Bank] 家明: /登記 district=深水埗" in transcript
    assert "多謝登記，家明！" in transcript
    assert "district=“Mong Kok” is not valid." in transcript
    assert "Please ask a coordinator to invite you" in transcript
    assert "已更新你嘅登記，家明" in transcript
    assert "I don't know the command “/shfit”." in transcript
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
    counts = re.findall(r"count for \d{4}-\d{2}: (\d+) stream deliveries", transcript)
    assert sum(int(count) for count in counts) == VOLUNTEER_COUNT + len(SCRIPT) + len(TAPS)
    assert not list(tmp_path.iterdir()), "the demo leaves no files behind"
