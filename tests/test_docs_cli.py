"""The README section "Configs and the command line" runs as written: its config files are
written out, every ``$ command`` is executed (``fastlr`` is ``python -m fastlr`` of this checkout)
and its output compared with the text (``...`` matches timings); error examples exit with 2.

The section is read from README.md when it is there, else from notes/README-section-cli.md."""
from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import child_env

ROOT = Path(__file__).resolve().parent.parent
TITLE = "## Configs and the command line"


def section() -> str:
    readme = ROOT / "README.md"
    text = readme.read_text() if readme.exists() else ""
    if TITLE not in text:
        text = (ROOT / "notes" / "README-section-cli.md").read_text()
    start = text.index(TITLE)
    nxt = text.find("\n## ", start + len(TITLE))
    return text[start: nxt if nxt >= 0 else len(text)]


def blocks(text: str):
    return re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)


def examples(text: str):
    """(command, expected output) pairs of the console blocks, in order."""
    out = []
    for lang, body in blocks(text):
        if lang != "console":
            continue
        for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
            cmd, _, want = chunk.partition("\n")
            out.append((cmd, want))
    return out


def test_the_section_has_examples_of_every_command():
    cmds = [c for c, _ in examples(section())]
    for sub in ("show", "export", "plot", "sweep", "list"):
        assert any(c.startswith(f"fastlr {sub}") for c in cmds), sub
    assert (ROOT / "docs" / "cli-plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_example_runs_as_written(tmp_path):
    pytest.importorskip("yaml")
    pytest.importorskip("matplotlib")
    text = section()
    for lang, body in blocks(text):
        first = body.splitlines()[0] if body else ""
        if lang in ("yaml", "toml", "json") and first.startswith("# file: "):
            (tmp_path / first[len("# file: "):].strip()).write_text(body)
    (tmp_path / "docs").mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "fastlr"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m fastlr "$@"\n')
    shim.chmod(0o755)
    env = child_env()
    env["PATH"] = os.pathsep.join([str(bindir), str(Path(sys.executable).parent), env["PATH"]])
    checker = doctest.OutputChecker()
    ran = 0
    for cmd, want in examples(text):
        proc = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        got = proc.stdout + proc.stderr
        expect_error = ": error:" in want
        assert proc.returncode == (2 if expect_error else 0), (cmd, got)
        assert "Traceback" not in got
        assert checker.check_output(want, got, doctest.ELLIPSIS), \
            f"$ {cmd}\n--- expected\n{want}--- got\n{got}"
        ran += 1
    assert ran >= 12
    assert (tmp_path / "docs" / "cli-plot.png").stat().st_size > 10_000
