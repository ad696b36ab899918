"""Specs: fastlr.from_spec / load_spec / read_config and sweep grids — YAML/TOML/JSON fixtures
(tests/data/specs) with string numbers, suffixed step counts, compositions and framework names
(a fake ``fastlr.compat`` module), round trips over the registry, bounds, and error messages that
name the key and suggest the closest valid name."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import fastlr
from fastlr import spec as S
from test_digests import cases

DATA = Path(__file__).with_name("data") / "specs"


# ------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("name", sorted(cases()))
def test_round_trip_over_the_registry(name):
    s = cases()[name]
    assert fastlr.from_spec(s.to_dict()) == s
    # through text, as a file would hold it
    assert fastlr.from_spec(json.loads(json.dumps(s.to_dict()))) == s


def test_every_registered_family_round_trips():
    covered = {type(s).__name__ for s in cases().values()}
    assert set(fastlr.schedule_classes()) <= covered


def test_round_trip_through_each_file_format(tmp_path):
    yaml = pytest.importorskip("yaml")
    s = cases()["join"]
    (tmp_path / "s.json").write_text(json.dumps(s.to_dict()))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(s.to_dict()))
    for f in ("s.json", "s.yaml"):
        assert fastlr.load_spec(tmp_path / f) == s


# ------------------------------------------------------------------------------------ fixtures
def test_yaml_warmup_cosine_with_string_numbers():
    pytest.importorskip("yaml")
    got = fastlr.load_spec(DATA / "warmup_cosine.yaml")
    assert got == fastlr.with_warmup(fastlr.CosineAnnealing(3e-4, 1_000_000, 1e-5), 2000, 0.0)


def test_toml_wsd():
    if sys.version_info < (3, 11):
        pytest.importorskip("tomli")
    got = fastlr.load_spec(DATA / "wsd.toml")
    assert got == fastlr.WarmupStableDecay(6e-4, 2048, 80_000, 18_000, 6e-5, "sqrt")


def test_json_join_of_compositions():
    got = fastlr.load_spec(DATA / "join.json")
    want = fastlr.join([fastlr.Linear(1e-6, 0.1, 1000),
                        fastlr.MultiStep(0.1, [10_000, 30_000], 0.5),
                        fastlr.Cyclical(0.02, 2500) * 0.5], [1000, 50_000])
    assert got == want
    np.testing.assert_array_equal(got.array(60_000), want.array(60_000))


@pytest.mark.parametrize("value, expect", [
    (1_000_000, 10**6), (1e6, 10**6), ("1M", 10**6), ("10k", 10**4), ("2**20", 2**20),
    ("1e6", 10**6), ("2.5k", 2500), ("1_000", 1000), (" 7 ", 7),
])
def test_every_step_spelling(value, expect):
    assert fastlr.from_spec({"schedule": "cosine", "max_lr": 1, "total_steps": value}
                            ).total_steps == expect


@pytest.mark.parametrize("value", ["3e-4", " 3e-4", "0.0003", 3e-4])
def test_numbers_as_strings(value):
    assert fastlr.from_spec({"schedule": "exp", "lr": value, "decay_rate": "1e-3"}
                            ) == fastlr.ExponentialDecay(3e-4, 1e-3)


def test_lists_bools_choices_and_none():
    s = fastlr.from_spec({"schedule": "onecycle", "max_lr": "0.1", "total_steps": "10k",
                          "three_phase": "yes", "anneal": "linear"})
    assert s == fastlr.OneCycle(0.1, 10_000, anneal="linear", three_phase=True)
    s = fastlr.from_spec({"schedule": "triangular", "base_lr": 0, "max_lr": 1,
                          "step_size_up": "1k", "step_size_down": "none"})
    assert s == fastlr.Triangular(0.0, 1.0, 1000)
    s = fastlr.from_spec({"schedule": "piecewise", "boundaries": "1k, 2k",
                          "values": ["1e-1", 0.01, "1e-3"]})
    assert s == fastlr.PiecewiseConstant([1000, 2000], [0.1, 0.01, 0.001])


# ------------------------------------------------------------------------------------ frameworks
def _fake(monkeypatch, name="fake", **attrs):
    mod = types.ModuleType(f"fastlr.compat.{name}")
    for k, v in attrs.items():
        setattr(mod, k, v)
    monkeypatch.setitem(sys.modules, f"fastlr.compat.{name}", mod)
    return mod


def _cosine_with_warmup(num_warmup_steps: int, num_training_steps: int, lr: float = 1e-3,
                        final: "Optional[float]" = None):  # noqa: F821 (annotation as text)
    return fastlr.with_warmup(fastlr.CosineAnnealing(lr, num_training_steps - num_warmup_steps,
                                                     final or 0.0), num_warmup_steps)


def test_framework_dispatch(monkeypatch):
    pytest.importorskip("yaml")
    _fake(monkeypatch, CONSTRUCTORS={"cosine_with_warmup": _cosine_with_warmup},
          TARGETS={"cosine_with_warmup": "WithWarmup"})
    got = fastlr.load_spec(DATA / "framework.yaml")
    assert got == _cosine_with_warmup(2000, 1_000_000, 3e-4)
    assert "fake" in S.frameworks()
    assert S.framework_targets()["WithWarmup"] == {"fake:cosine_with_warmup": "cosine_with_warmup"}
    got = fastlr.from_spec({"framework": "fake", "name": "cosine_with_warmup",
                            "num_warmup_steps": "10", "num_training_steps": "1k",
                            "final": "none"})
    assert got == _cosine_with_warmup(10, 1000)


def test_framework_module_with_all_and_timm_sched_key(monkeypatch):
    pytest.importorskip("yaml")

    def cosine(epochs: int, lr: float, warmup_epochs: int = 0):
        return fastlr.with_warmup(fastlr.CosineAnnealing(lr, epochs), warmup_epochs)

    _fake(monkeypatch, "timm", __all__=["cosine"], cosine=cosine)
    assert fastlr.load_spec(DATA / "timm.yaml") == cosine(100, 5e-4, 5)


@pytest.mark.parametrize("spec, words", [
    ({"framework": "fakee", "name": "x"}, ["unknown framework 'fakee'", "did you mean 'fake'"]),
    ({"framework": "fake", "name": "cosine_with_warmpu", "num_warmup_steps": 1,
      "num_training_steps": 2}, ["fake has no schedule 'cosine_with_warmpu'",
                                 "did you mean 'cosine_with_warmup'"]),
    ({"framework": "fake", "name": "cosine_with_warmup", "num_warmup_step": 1,
      "num_training_steps": 2}, ["no parameter 'num_warmup_step'", "'num_warmup_steps'"]),
    ({"framework": "fake", "name": "cosine_with_warmup", "num_training_steps": 2},
     ["fake:cosine_with_warmup needs 'num_warmup_steps'"]),
    ({"framework": "fake", "num_training_steps": 2}, ["needs 'name'"]),
    ({"framework": "../etc", "name": "x"}, ["framework name"]),
    ({"framework": "fake", "name": "broken"}, ["returned 42, not a fastlr schedule"]),
])
def test_framework_errors(monkeypatch, spec, words):
    _fake(monkeypatch, CONSTRUCTORS={"cosine_with_warmup": _cosine_with_warmup,
                                     "broken": lambda: 42})
    with pytest.raises((ValueError, TypeError)) as info:
        fastlr.from_spec(spec)
    for w in words:
        assert w in str(info.value)


def test_unknown_framework_without_compat():
    with pytest.raises(ValueError, match="unknown framework 'nosuchframework'"):
        fastlr.from_spec({"framework": "nosuchframework", "name": "cosine"})


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("spec, exc, words", [
    ({"schedule": "cosin", "max_lr": 1, "total_steps": 1}, ValueError,
     ["unknown schedule 'cosin'", "did you mean 'cosine'"]),
    ({"schedule": "cosine", "max_lrr": 1, "total_steps": 1}, ValueError,
     ["no parameter 'max_lrr'", "did you mean 'max_lr'", "it takes max_lr, total_steps, min_lr"]),
    ({"schedule": "cosine", "max_lr": 1}, ValueError, ["needs 'total_steps' (missing)"]),
    ({"schedule": "wsd", "max_lr": 1}, ValueError,
     ["needs 'warmup_steps', 'stable_steps' and 'decay_steps'"]),
    ({"max_lr": 1}, ValueError, ["no 'schedule' key"]),
    ({}, ValueError, ["no 'schedule' key", "empty"]),
    ([1, 2], TypeError, ["must be a mapping"]),
    ({"schedule": 3}, TypeError, ["'schedule' must name a schedule"]),
    ({"schedule": "cosine", "max_lr": "fast", "total_steps": 1}, ValueError,
     ["max_lr must be a number", "'fast'"]),
    ({"schedule": "cosine", "max_lr": 1, "total_steps": "1.5"}, ValueError,
     ["total_steps", "1.5"]),
    ({"schedule": "cosine", "max_lr": 1, "total_steps": "1e400"}, ValueError,
     ["total_steps", "2**63 - 1"]),
    ({"schedule": "cosine", "max_lr": 1, "total_steps": 10**5000}, ValueError,
     ["total_steps must be <= 2**63 - 1, got a 5001-digit integer"]),
    ({"schedule": "cosine", "max_lr": 10**400, "total_steps": 1}, ValueError,
     ["max_lr: a 401-digit integer is too large"]),
    ({"schedule": "cosine", "max_lr": "9" * 5000, "total_steps": 1}, ValueError,
     ["max_lr", "too long"]),
    ({"schedule": "cosine", "max_lr": {"a": 1}, "total_steps": 1}, TypeError, ["max_lr"]),
    ({"schedule": "with_warmup", "warmup_steps": 5,
      "inner": {"schedule": "cosine", "max_lr": -1, "total_steps": 1}}, ValueError,
     ["inner: max_lr must be >= 0"]),
    ({"schedule": "join", "boundaries": [5], "schedules": [{"schedule": "constant", "lr": 1},
                                                           {"schedule": "nope"}]}, ValueError,
     ["schedules[1]: unknown schedule 'nope'"]),
    ({"schedule": "join", "boundaries": [5], "schedules": "x"}, ValueError, ["schedules"]),
])
def test_errors_name_the_key_and_suggest(spec, exc, words):
    with pytest.raises(exc) as info:
        fastlr.from_spec(spec)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert len(msg) < 600 and "\n" not in msg


def test_self_reference_depth_and_size_are_value_errors():
    d = {"schedule": "with_warmup", "warmup_steps": 1}
    d["inner"] = d
    with pytest.raises(ValueError, match="contains itself"):
        fastlr.from_spec(d)
    deep = {"schedule": "constant", "lr": 1}
    for _ in range(10_000):  # far past the recursion limit
        deep = {"schedule": "with_warmup", "warmup_steps": 1, "inner": deep}
    with pytest.raises(ValueError, match=f"nested more than {S.MAX_DEPTH} levels"):
        fastlr.from_spec(deep)
    ok = {"schedule": "constant", "lr": 1}
    for _ in range(S.MAX_DEPTH - 2):
        ok = {"schedule": "with_warmup", "warmup_steps": 1, "inner": ok}
    assert fastlr.from_spec(ok).horizon == S.MAX_DEPTH - 2
    wide = {"schedule": "multistep", "lr": 1, "milestones": list(range(S.MAX_NODES + 1))}
    with pytest.raises(ValueError, match="more than 100,000 values"):
        fastlr.from_spec(wide)


def test_yaml_bombs_and_recursive_anchors_are_refused():
    pytest.importorskip("yaml")
    with pytest.raises(ValueError, match="more than 100,000 values"):
        fastlr.load_spec(DATA / "bomb.yaml")
    with pytest.raises(ValueError, match="contains itself"):
        fastlr.load_spec(DATA / "selfref.yaml")


def test_deep_json_text_is_a_value_error(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="deep"):
        fastlr.load_spec(p)


@pytest.mark.parametrize("name, text, words", [
    ("a.json", "{schedule: cosine", ["a.json", "not valid JSON"]),
    ("a.yaml", "schedule: [unclosed", ["a.yaml", "not valid YAML"]),
    ("a.toml", "schedule = ", ["a.toml", "not valid TOML"]),
    ("a.ini", "x", ["use a .json, .toml, .yaml or .yml file"]),
    ("a.json", '{"schedule": "cosine", "max_lr": 1, "total_steps": 1' + "0" * 5000 + "}",
     ["not valid JSON", "digits"]),
])
def test_bad_files(tmp_path, name, text, words):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ValueError) as info:
        fastlr.load_spec(p)
    for w in words:
        assert w in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_optional_parsers(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="cannot read spec"):
        fastlr.load_spec(tmp_path / "nope.json")
    (tmp_path / "a.yaml").write_text("schedule: constant\nlr: 1\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r'pip install "fastlr-schedules\[cli\]"'):
        fastlr.load_spec(tmp_path / "a.yaml")
    (tmp_path / "a.toml").write_text("schedule = 'constant'\nlr = 1\n")
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    with pytest.raises(ImportError, match="tomli"):
        fastlr.load_spec(tmp_path / "a.toml")


def test_oversized_file(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "MAX_FILE_BYTES", 100)
    p = tmp_path / "big.json"
    p.write_text(json.dumps({"schedule": "constant", "lr": 1, "pad": "x" * 200}))
    with pytest.raises(ValueError, match="larger than a spec may be"):
        fastlr.load_spec(p)


# ------------------------------------------------------------------------------------ grids
def test_grid_fixture_with_strings_and_suffixes():
    pytest.importorskip("yaml")
    g = S.grid_spec(S.read_config(DATA / "grid.yaml"))
    assert g.family is fastlr.CosineAnnealing and g.rows == 8 and g.steps == 30_000
    assert g.dtype == np.float32
    assert g.params == {"max_lr": [0.1, 0.3], "total_steps": [20_000, 2**14],
                        "min_lr": [0.0, 1e-5]}


@pytest.mark.parametrize("obj, words", [
    ({"family": "cosine", "parms": {}}, ["unknown key 'parms'", "did you mean 'params'"]),
    ({"family": "cosin", "params": {}}, ["did you mean 'cosine'"]),
    ({"family": "cosine", "params": {"max_lrr": [1]}}, ["no parameter 'max_lrr'", "'max_lr'"]),
    ({"family": "cosine", "params": {"max_lr": [1]}}, ["needs 'total_steps'"]),
    ({"family": "cosine", "params": {"max_lr": 1, "total_steps": [1]}}, ["must be a list"]),
    ({"family": "cosine", "params": {"max_lr": [], "total_steps": [1]}}, ["empty list"]),
    ({"family": "cosine", "params": {"max_lr": ["x"], "total_steps": [1]}},
     ["params.max_lr[0] must be a number", "'x'"]),
    ({"family": "cosine", "params": {"max_lr": [[1, 2]], "total_steps": [1]}},
     ["params.max_lr[0]"]),
    ({"family": "cosine", "params": {"max_lr": [0.1] * 1000, "total_steps": [1] * 1000}},
     ["1000 x 1000 = 1,000,000 rows, more than 100,000"]),
    ({"family": "cosine", "steps": "abc", "params": {"max_lr": [1], "total_steps": [1]}},
     ["'steps' must be a whole number"]),
])
def test_grid_errors_before_expansion(obj, words, monkeypatch):
    # nothing is built: fail loudly if a schedule were constructed
    monkeypatch.setattr(fastlr.Schedule, "_init", lambda *a, **k: pytest.fail("built a schedule"))
    with pytest.raises((ValueError, TypeError)) as info:
        S.grid_spec(obj)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_grid_row_count_is_checked_before_values():
    # 10**3 x 10**3 lists whose values are all invalid: the count is refused first
    obj = {"family": "cosine", "params": {"max_lr": ["bad"] * 1000, "total_steps": ["bad"] * 1000}}
    with pytest.raises(ValueError, match="rows, more than"):
        S.grid_spec(obj)
