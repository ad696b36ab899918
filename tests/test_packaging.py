"""Packaging: the distribution is ``fastlr-schedules`` (``fastlr`` on the package index is another
project), every install hint names it, the extras exist, and importing an unbuilt source tree
says what to do instead of a "circular import" message."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python < 3.11
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_distribution_name_and_extras():
    project = _pyproject()["project"]
    assert project["name"] == "fastlr-schedules"
    extras = project["optional-dependencies"]
    assert {"cli", "plot", "parquet", "test", "bench", "dask", "all"} <= set(extras)
    assert any(d.startswith("tqdm") for d in extras["cli"])
    assert any(d.lower().startswith("pyyaml") for d in extras["cli"])
    assert any(d.startswith("tomli") and "python_version < '3.11'" in d for d in extras["cli"])
    assert extras["plot"] == ["matplotlib"] and extras["parquet"] == ["pyarrow"]
    assert extras["all"] == ["fastlr-schedules[cli,plot,parquet,dask,torch,jax,keras]"]
    assert project["scripts"]["fastlr"] == "fastlr.cli:main"


def test_every_install_hint_names_the_distribution():
    # "pip install fastlr[...]" / "fastlr[...]" would install an unrelated project
    stale = re.compile(r"pip install\s+[\"']?fastlr(\[|\s|$|[\"'])")
    files = [p for d in ("fastlr", "tests", "docs", "notes", "bench") for p in (ROOT / d).rglob("*")
             if p.suffix in (".py", ".pyx", ".pxi", ".pyi", ".md", ".toml", ".txt", ".cfg")]
    bad = [f"{p.relative_to(ROOT)}:{i + 1}" for p in files
           for i, line in enumerate(p.read_text(errors="replace").splitlines())
           if stale.search(line) and p.name != "test_packaging.py"]
    assert bad == []


def test_unbuilt_source_tree_says_how_to_build(tmp_path):
    # a copy of the package without its compiled kernels, imported from its parent directory (as
    # python in the repository root does after a non-editable pip install)
    shutil.copytree(ROOT / "fastlr", tmp_path / "fastlr",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.c"))
    assert not list((tmp_path / "fastlr").glob("_kernels*.so"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", "import fastlr"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: fastlr's compiled kernels")
    assert "not built" in last and str(tmp_path / "fastlr") in last
    assert "pip install -e . --no-build-isolation" in last
    assert "pip install -U Cython setuptools wheel numpy" in last
    assert "python setup.py build_ext --inplace" in last
    assert "another directory" in last
    assert "circular import" not in proc.stderr


def test_unloadable_kernels_are_named(tmp_path):
    shutil.copytree(ROOT / "fastlr", tmp_path / "fastlr",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.c"))
    # a "compiled" file that is not a shared library
    (tmp_path / "fastlr" / "_kernels.cpython-311-x86_64-linux-gnu.so").write_bytes(b"junk")
    (tmp_path / "fastlr" / "_kernels.abi3.so").write_bytes(b"junk")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", "import fastlr"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "cannot be loaded" in last and "build_ext --inplace" in last
