"""``fastlr sweep SPEC -o OUT.npy``: the file equals fastlr.sweep(fastlr.grid(...)), the parameter
table sits next to it, and bad specs fail with a message and exit status 2 before writing."""
from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

import fastlr
from fastlr import cli

SPEC = {"family": "cosine", "steps": 30000,
        "params": {"max_lr": [0.1, 0.3], "total_steps": [20000, 25000], "min_lr": [0.0, 1e-5]}}


def run(argv):
    out = io.StringIO()
    rc = cli.main([str(a) for a in argv], stdout=out)
    return rc, out.getvalue()


def expected(spec, n=None, start=0, dtype=np.float64):
    scheds = fastlr.grid(spec["family"], **spec["params"])
    return fastlr.sweep(scheds, spec["steps"] if n is None else n, start=start, dtype=dtype)


def test_json_spec_writes_the_sweep_and_its_parameter_table(tmp_path):
    spec_path = tmp_path / "grid.json"
    spec_path.write_text(json.dumps(SPEC))
    out = tmp_path / "lr.npy"
    rc, text = run(["sweep", spec_path, "-o", out])
    assert rc == 0, text
    assert "8 CosineAnnealing schedules x 30,000 steps" in text
    got = np.load(out)
    assert got.dtype == np.float64 and got.shape == (8, 30000)
    np.testing.assert_array_equal(got, expected(SPEC), strict=True)
    # and, independently of the kernels, the first and last values of each row
    table = fastlr.grid_params(**SPEC["params"])
    for row, p in zip(got, table):
        assert row[0] == p["max_lr"]
        assert row[-1] == p["min_lr"]  # past total_steps: the floor
    meta = json.loads((tmp_path / "lr.params.json").read_text())
    assert meta["params"] == table
    assert meta["shape"] == [8, 30000] and meta["n_steps"] == 30000 and meta["start"] == 0
    assert meta["family"] == "CosineAnnealing" and meta["dtype"] == "float64"
    assert [fastlr.from_dict(d) for d in meta["schedules"]] == fastlr.grid("cosine",
                                                                          **SPEC["params"])


def test_command_line_overrides(tmp_path):
    spec_path = tmp_path / "grid.json"
    spec_path.write_text(json.dumps(SPEC))
    out = tmp_path / "lr32.npy"
    rc, text = run(["sweep", spec_path, "-o", out, "--steps", "5k", "--start", "19k",
                    "--dtype", "float32", "--threads", "1"])
    assert rc == 0, text
    np.testing.assert_array_equal(np.load(out), expected(SPEC, 5000, 19000, np.float32),
                                  strict=True)


def test_blocks_of_rows_and_steps(tmp_path, monkeypatch):
    # a tiny block size: rows one at a time, each in several blocks of steps
    monkeypatch.setattr(cli, "_SWEEP_BLOCK_VALUES", 7000)
    spec = dict(SPEC, steps=30001, start=3)
    spec_path = tmp_path / "grid.json"
    spec_path.write_text(json.dumps(spec))
    rc, text = run(["sweep", spec_path, "-o", tmp_path / "a.npy", "--threads", "2"])
    assert rc == 0, text
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), expected(spec, start=3))
    monkeypatch.setattr(cli, "_SWEEP_BLOCK_VALUES", 70000)  # blocks of 2 rows
    rc, text = run(["sweep", spec_path, "-o", tmp_path / "b.npy"])
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), expected(spec, start=3))


TOML = """\
family = "step"
steps = "10k"
start = 5

[params]
lr = [0.1, 0.2]
gamma = [0.5]
step_size = [100, 1000]
"""


def test_toml_spec(tmp_path):
    pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    spec_path = tmp_path / "grid.toml"
    spec_path.write_text(TOML)
    rc, text = run(["sweep", spec_path, "-o", tmp_path / "s.npy"])
    assert rc == 0, text
    got = np.load(tmp_path / "s.npy")
    steps = np.arange(5, 10005)
    for row, p in zip(got, fastlr.grid_params(lr=[0.1, 0.2], gamma=[0.5], step_size=[100, 1000])):
        np.testing.assert_allclose(row, p["lr"] * 0.5 ** (steps // p["step_size"]), rtol=1e-15)


YAML = """\
family: OneCycle
steps: 2000
params:
  max_lr: [0.1, 0.4]
  total_steps: [1500]
  three_phase: [false, true]
"""


def test_yaml_spec(tmp_path):
    pytest.importorskip("yaml")
    spec_path = tmp_path / "grid.yaml"
    spec_path.write_text(YAML)
    rc, text = run(["sweep", spec_path, "-o", tmp_path / "y.npy"])
    assert rc == 0, text
    spec = {"family": "OneCycle", "steps": 2000,
            "params": {"max_lr": [0.1, 0.4], "total_steps": [1500], "three_phase": [False, True]}}
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected(spec))


def test_yaml_without_pyyaml_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "yaml", None)
    spec_path = tmp_path / "grid.yml"
    spec_path.write_text(YAML)
    rc, _ = run(["sweep", spec_path, "-o", tmp_path / "y.npy"])
    assert rc == 2
    assert "pip install pyyaml" in capsys.readouterr().err
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize("spec, extra, msg", [
    (dict(SPEC, famly="cosine"), [], "unknown key 'famly' (did you mean 'family'?)"),
    ({k: v for k, v in SPEC.items() if k != "steps"}, [], "no 'steps' in the spec: pass --steps"),
    (dict(SPEC, family="nope"), [], "unknown schedule 'nope'"),
    (dict(SPEC, family=3), [], "'family' must name a schedule"),
    (dict(SPEC, params=[0.1]), [], "'params' must map parameter names"),
    (dict(SPEC, params={"max_lr": [], "total_steps": [10]}), [], "max_lr is an empty list"),
    (dict(SPEC, params={"max_lr": 0.1, "total_steps": [10]}), [], "max_lr must be a list"),
    (dict(SPEC, steps=-5), [], "'steps' must be a whole number of steps"),
    (dict(SPEC, steps=1.5), [], "'steps' must be a whole number"),
    (SPEC, ["--threads", "0"], "threads must be >= 1"),
    (dict(SPEC, dtype="int8"), [], "dtype must be float32 or float64"),
    ([1, 2], [], "the spec must be a mapping"),
])
def test_bad_specs_fail_before_writing(tmp_path, capsys, spec, extra, msg):
    spec_path = tmp_path / "grid.json"
    spec_path.write_text(json.dumps(spec))
    out = tmp_path / "x.npy"
    rc, _ = run(["sweep", spec_path, "-o", out, *extra])
    assert rc == 2
    assert msg in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "x.params.json").exists()


def test_bad_files(tmp_path, capsys):
    good = tmp_path / "grid.json"
    good.write_text(json.dumps(SPEC))
    bad = tmp_path / "bad.json"
    bad.write_text("{family: cosine")
    cases = [
        (["sweep", tmp_path / "missing.json", "-o", tmp_path / "o.npy"], "cannot read spec"),
        (["sweep", bad, "-o", tmp_path / "o.npy"], "not valid JSON"),
        (["sweep", tmp_path / "grid.ini", "-o", tmp_path / "o.npy"], "use a .json, .toml"),
        (["sweep", good, "-o", tmp_path / "o.csv"], "-o: use a .npy file name"),
        (["sweep", good, "-o", tmp_path / "no" / "dir.npy"], "No such file or directory"),
    ]
    for argv, msg in cases:
        rc, _ = run(argv)
        assert rc == 2
        assert msg in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(tmp_path, monkeypatch, capsys):
    spec_path = tmp_path / "grid.json"
    spec_path.write_text(json.dumps(SPEC))
    rc, _ = run(["sweep", spec_path, "-o", tmp_path / "p.npy"])
    assert rc == 0 and capsys.readouterr().err == ""  # not a terminal: no bar
    pytest.importorskip("tqdm")
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    rc, _ = run(["sweep", spec_path, "-o", tmp_path / "p.npy"])
    assert rc == 0
    assert "sweep" in term.getvalue() and "240k/240k" in term.getvalue()


def test_no_bar_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert cli._progress_bar(10) is None
