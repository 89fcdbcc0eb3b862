"""Bootstrap-and-run entry point that needs nothing but Python and pip.

    python tasks.py demo      # the bot against the local DingTalk sandbox
    python tasks.py test      # every check: ruff format, ruff lint, mypy strict, pytest
    python tasks.py bench     # the benchmarks under bench/, printing their numbers
    python tasks.py lock      # regenerate requirements.lock after editing pyproject.toml

The first call creates `.venv/` and installs the locked dependencies; later calls reinstall only
when requirements.lock or pyproject.toml changed. Extra arguments are passed through
(`python tasks.py test -k join`, `python tasks.py demo --keep-running`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".dingshift-installed"


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*argv: str | Path) -> int:
    return subprocess.call([str(a) for a in argv], cwd=ROOT)


def ensure_environment() -> None:
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _inputs_digest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    pip = (BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    if _run(*pip, "-r", "requirements.lock") or _run(*pip, "--no-deps", "-e", "."):
        sys.exit("dependency installation failed (see pip's output above)")
    STAMP.write_text(wanted)


def check(pytest_args: list[str]) -> int:
    steps: list[tuple[str | Path, ...]] = [
        (BIN / "ruff", "format", "--check", "."),
        (BIN / "ruff", "check", "."),
        (BIN / "mypy", "."),
        (BIN / "python", "-m", "pytest", *pytest_args),
    ]
    for step in steps:
        print("==>", " ".join(str(part) for part in step[1:] if part), flush=True)  # noqa: T201
        if code := _run(*step):
            return code
    return 0


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if task not in {"demo", "test", "bench", "lock"}:
        print(__doc__)  # noqa: T201
        return 0 if task == "help" else 2
    ensure_environment()
    if task == "lock":
        return _run(
            BIN / "python",
            "-m",
            "uv",
            "pip",
            "compile",
            "pyproject.toml",
            "--extra",
            "dev",
            "--universal",
            "--python-version",
            "3.11",
            "-o",
            "requirements.lock",
        )
    if task == "demo":
        return _run(BIN / "dingshift", "demo", *rest)
    if task == "bench":
        return _run(BIN / "python", "-m", "bench", *rest)
    return check(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
