"""The README's examples run, and print what the README says they print.

Blocks are taken in order, as a reader would run them:
- a ```python block is executed in one namespace shared by the whole README (later blocks use the
  names of earlier ones), with a scratch directory as the working directory;
- a ```text block made of ``>>>`` lines is a doctest transcript, checked in that namespace;
- in a ```bash block, every command line starting with ``fastlr`` (alone or after ``&&``) runs as
  ``python -m fastlr ...`` in the scratch directory and must succeed.
A block that imports an optional library that is not installed skips the test, naming it.
"""
from __future__ import annotations

import doctest
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import child_env

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
OPTIONAL = ("torch", "jax", "optax", "keras", "transformers", "matplotlib", "dask", "pyarrow",
            "yaml")


def blocks(text: str):
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield m.group(1), m.group(2), line


def missing_imports(code: str):
    names = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_][\w]*)", code, flags=re.M))
    return sorted(n for n in names & set(OPTIONAL) if importlib.util.find_spec(n) is None)


def fastlr_commands(code: str):
    for raw in code.splitlines():
        for part in raw.split("&&"):
            part = part.strip()
            if part.startswith("fastlr "):
                yield shlex.split(part)[1:]


def test_readme_examples_run(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    found = list(blocks(text))
    for lang, code, _ in found:
        if lang == "python" and missing_imports(code):
            pytest.skip(f"README example needs {', '.join(missing_imports(code))}")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    ran = 0
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for lang, code, line in found:
        if lang == "python":
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
            ran += 1
        elif lang == "text" and code.lstrip().startswith(">>>"):
            test = parser.get_doctest(code, namespace, f"README.md:{line}", str(README), line)
            result = runner.run(test, clear_globs=False)
            assert result.failed == 0, f"README.md:{line}: transcript differs (see above)"
            ran += 1
        elif lang == "bash":
            for argv in fastlr_commands(code):
                proc = subprocess.run([sys.executable, "-m", "fastlr", *argv], cwd=tmp_path,
                                      env=child_env(), capture_output=True, text=True,
                                      timeout=600)
                assert proc.returncode == 0, f"README.md:{line}: fastlr {shlex.join(argv)}\n" \
                                             f"{proc.stderr}"
                ran += 1
    assert ran > 0


def test_fastlr_commands_are_found():
    assert list(fastlr_commands("pip install . && fastlr show cosine --steps 10\nls")) == \
        [["show", "cosine", "--steps", "10"]]
    assert missing_imports("import numpy as np\nfrom definitely_absent_lib import x") == []
