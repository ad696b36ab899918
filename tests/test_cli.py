"""The ``fastlr`` command in process: step-count parsing, ``show`` with its summary, ``export`` files
read back bit for bit, inline parameters of every registered family, errors (exit status 2 and one
line on stderr). Subprocess runs: tests/test_cli_subprocess.py."""
from __future__ import annotations

import argparse
import io
import subprocess
import sys

import numpy as np
import pytest

import fastlr
from fastlr.cli import main, parse_count

from helpers import bits, child_env


@pytest.mark.parametrize("text,value", [
    ("10000000", 10_000_000), ("1e7", 10_000_000), ("10M", 10_000_000), ("10m", 10_000_000),
    ("2.5k", 2500), ("2**20", 2**20), ("1_000", 1000), ("1E3", 1000), (" 42 ", 42),
    ("1.5e3", 1500), ("0", 0), ("1G", 10**9), ("2**62", 2**62), ("12.50k", 12500),
    ("9223372036854775807", 2**63 - 1),
])
def test_parse_count_accepts(text, value):
    got = parse_count(text)
    assert got == value and type(got) is int


@pytest.mark.parametrize("text", ["1.5", "abc", "", "-5", "1e-3", "2.5", "1.0001k", "10MM",
                                  "0x10", "1e", "k", "2**", "nan", "inf", "1.5.2"])
def test_parse_count_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError) as info:
        parse_count(text)
    assert repr(text) in str(info.value) or text in str(info.value)


@pytest.mark.parametrize("text", ["2**63", "9**99999999999", "1e99999999999", "1" * 41,
                                  "99999999999999999999T", "9223372036854775808"])
def test_parse_count_is_bounded(text):
    # refused before any big-number arithmetic (9**99999999999 used to run until killed)
    with pytest.raises(argparse.ArgumentTypeError, match="steps"):
        parse_count(text)


def run_main(argv):
    buf = io.StringIO()
    try:
        rc = main(argv, stdout=buf)
    except SystemExit as exc:  # argparse's own errors exit with status 2
        rc = exc.code
    return rc, buf.getvalue()


COSINE = ["show", "cosine", "--steps", "1000", "--max-lr", "0.1", "--total-steps", "1000"]


def test_show_prints_a_summary(capsys):
    rc, out = run_main(COSINE)
    assert rc == 0
    s = fastlr.CosineAnnealing(0.1, 1000)
    assert repr(s) in out
    a = s.array(1000)
    assert f"first {float(a[0])!r}" in out and f"last {float(a[-1])!r}" in out
    assert f"min {float(a.min())!r}" in out and f"max {float(a.max())!r}" in out
    assert "1,000" in out
    assert capsys.readouterr().err == ""


def test_show_accepts_step_count_spellings():
    for spelling in ("2000", "2e3", "2k", "2.0k"):
        rc, out = run_main(["show", "cosine", "--steps", spelling, "--max-lr", "0.1",
                            "--total-steps", "1e3"])
        assert rc == 0 and "2,000 values" in out
        assert repr(fastlr.CosineAnnealing(0.1, 1000)) in out


@pytest.mark.parametrize("argv,schedule,n,start,dtype", [
    (COSINE, fastlr.CosineAnnealing(0.1, 1000), 1000, 0, np.float64),
    (["show", "step", "-n", "2.5k", "--lr", "0.1", "--gamma", "0.5", "--step-size", "100",
      "--start", "2**40", "--dtype", "float32"], fastlr.StepDecay(0.1, 0.5, 100), 2500, 2**40,
     np.float32),
    (["show", "Cyclical", "--steps", "777", "--max-lr=0.3", "--cycle-steps=10", "--min-lr=0.01"],
     fastlr.Cyclical(0.3, 10, 0.01), 777, 0, np.float64),
    (["show", "warmup", "--steps", "100", "--max-lr", "1", "--warmup-steps", "0"],
     fastlr.Warmup(1.0, 0), 100, 0, np.float64),
    (["show", "exponential", "--steps", "1k", "--lr", "0.1", "--decay-rate", "1e-3",
      "--start", "9223372036854774807"], fastlr.ExponentialDecay(0.1, 1e-3), 1000,
     2**63 - 1 - 999, np.float64),
])
def test_export_writes_npy_equal_to_array(tmp_path, argv, schedule, n, start, dtype):
    path = tmp_path / "lr.npy"
    rc, out = run_main(["export"] + argv[1:] + ["-o", str(path)])
    assert rc == 0, out
    assert repr(schedule) in out
    saved = np.load(path)
    assert saved.dtype == np.dtype(dtype) and saved.shape == (n,)
    assert bits(saved) == bits(schedule.array(n, start, dtype))


@pytest.mark.parametrize("start", [0, 123_456_789_012])
def test_export_writes_csv_equal_to_array(tmp_path, start):
    path = tmp_path / "lr.csv"
    rc, _ = run_main(["export"] + COSINE[1:] + ["--start", str(start), "-o", str(path)])
    assert rc == 0
    lines = path.read_text().splitlines()
    assert lines[0] == "step,lr" and len(lines) == 1001
    steps = np.array([int(line.split(",")[0]) for line in lines[1:]])
    values = np.array([float(line.split(",")[1]) for line in lines[1:]])
    assert (steps == np.arange(start, start + 1000)).all()
    assert bits(values) == bits(fastlr.CosineAnnealing(0.1, 1000).array(1000, start))


def test_list_names_the_schedules():
    rc, out = run_main(["list"])
    assert rc == 0
    for name in ("StepDecay", "ExponentialDecay", "CosineAnnealing", "Warmup", "Cyclical"):
        assert name in out


@pytest.mark.parametrize("argv,needle", [
    (["show", "nosuch", "--steps", "10"], "nosuch"),
    (COSINE[:4] + ["--max-lr", "0.1"], "total_steps"),  # missing parameter
    (COSINE + ["--bogus", "3"], "bogus"),
    (["show", "cosine", "--steps", "10", "--max-lr", "abc", "--total-steps", "10"], "abc"),
    (["show", "cosine", "--steps", "10", "--max-lr", "-0.1", "--total-steps", "10"], "max_lr"),
    (["show", "cosine", "--steps", "10", "--max-lr", "0.1", "--total-steps", "1.5"], "1.5"),
    (["show", "cosine", "--steps", "10", "--max-lr", "0.1", "--total-steps", "0"], "total_steps"),
    (["show", "cosine", "--steps", "10", "--max-lr", "0.1", "--total-steps"], "--total-steps"),
    (["show", "cosine", "--steps", "10", "--max-lr", "0.1", "--total-steps", "10", "stray"],
     "stray"),
    (["export"] + COSINE[1:] + ["-o", "values.txt"], "values.txt"),
    (COSINE + ["--start", "9223372036854775000"], "2**63 - 1"),
    (["show", "cosine", "--steps", "abc", "--max-lr", "0.1", "--total-steps", "10"], "abc"),
    (["show", "cosine", "--steps", "1.5", "--max-lr", "0.1", "--total-steps", "10"], "1.5"),
    (["export", "cosine", "--max-lr", "0.1", "--total-steps", "10", "-o", "a.npy"], "--steps"),
    (["show", "exponential", "--lr", "0.1", "--decay-rate", "0.1"], "--steps"),
    (COSINE + ["--dtype", "float16"], "float16"),
    (["frobnicate"], "frobnicate"),
    (["shwo"], "did you mean 'show'"),
    ([], "command"),
])
def test_bad_arguments_exit_2_with_message(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out = run_main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert "error" in err and needle in err, err


def test_python_dash_m_fastlr_export(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "fastlr", "export", "cosine", "--steps", "1000", "--max-lr", "0.1",
         "--total-steps", "1000", "--min-lr", "1e-3", "-o", "lr.npy"],
        cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "CosineAnnealing(max_lr=0.1, total_steps=1000, min_lr=0.001, exponent=1.0, " in proc.stdout
    assert "wrote lr.npy: 1,000 float64 values" in proc.stdout
    expect = fastlr.CosineAnnealing(0.1, 1000, 1e-3).array(1000)
    assert bits(np.load(tmp_path / "lr.npy")) == bits(expect)


def test_python_dash_m_fastlr_bad_arguments(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fastlr", "show", "cosine", "--steps", "abc"],
                          cwd=tmp_path, env=child_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "abc" in proc.stderr and proc.stdout == ""


# ------------------------------------------------------------------------------------ registry
def _inline(value):
    """A parameter value as typed on the command line."""
    import json

    if isinstance(value, dict) or (isinstance(value, list) and value and
                                   isinstance(value[0], dict)):
        return json.dumps(value)
    if isinstance(value, list):
        return ",".join(_inline(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _every_case():
    from test_digests import cases

    out = dict(cases())
    # parameters the digest cases leave at their defaults, set explicitly
    out["multistep_empty"] = fastlr.MultiStep(0.1, [], 0.5)
    out["onecycle_all"] = fastlr.OneCycle(0.2, 5000, 0.25, "linear", 10.0, 100.0, True)
    out["tri_down"] = fastlr.Triangular(0.0, 1.0, 3, None, "exp_range", 0.999)
    return out


@pytest.mark.parametrize("name, s", sorted(_every_case().items()))
def test_every_parameter_of_every_family_is_settable_inline(name, s):
    from fastlr import cli

    d = s.to_dict()
    tokens = [d.pop("schedule")]
    for key, value in d.items():
        tokens += ["--" + key.replace("_", "-"), _inline(value)]
    assert cli._inline_schedule(tokens) == s
    # the same through main(): show prints the repr
    rc, out = run_main(["show", *tokens, "--steps", "100"])
    assert rc == 0 and out.splitlines()[0] == repr(s)


def test_the_registry_is_covered_and_no_parameter_shadows_an_option():
    from fastlr import cli

    covered = {type(s).__name__ for s in _every_case().values()}
    assert set(fastlr.schedule_classes()) <= covered
    options = {flag.lstrip("-").replace("-", "_") for cmd in ("show", "export", "plot")
               for flags, _ in cli._options(cmd) for flag in flags}
    for name, cls in fastlr.schedule_classes().items():
        assert not set(fastlr.parameters(cls)) & options, name


def test_bare_bool_flags_and_framework_names(monkeypatch):
    import types

    from fastlr import cli

    s = cli._inline_schedule(["onecycle", "--max-lr", "0.1", "--total-steps", "1k",
                              "--three-phase", "--anneal", "linear"])
    assert s == fastlr.OneCycle(0.1, 1000, anneal="linear", three_phase=True)
    mod = types.ModuleType("fastlr.compat.fake")
    mod.CONSTRUCTORS = {"cosine": lambda lr, steps: fastlr.CosineAnnealing(lr, steps)}
    monkeypatch.setitem(sys.modules, "fastlr.compat.fake", mod)
    assert cli._inline_schedule(["fake:cosine", "--lr", "0.1", "--steps", "100"]) == \
        fastlr.CosineAnnealing(0.1, 100)


def test_list_shows_framework_names(monkeypatch):
    import types

    mod = types.ModuleType("fastlr.compat.fake")
    mod.CONSTRUCTORS = {"cosine": lambda lr, steps: fastlr.CosineAnnealing(lr, steps)}
    mod.TARGETS = {"cosine": "CosineAnnealing", "warmup_cosine": "with_warmup"}
    monkeypatch.setitem(sys.modules, "fastlr.compat.fake", mod)
    rc, out = run_main(["list"])
    assert rc == 0
    lines = out.splitlines()
    i = lines.index("CosineAnnealing(max_lr: rate, total_steps: steps, min_lr: rate, exponent: real, "
                    "k_decay: real)")
    assert "framework names: fake:cosine" in lines[i + 1]
    j = lines.index("WithWarmup(inner: schedule, warmup_steps: steps, init_lr: rate)")
    assert "framework names: fake:warmup_cosine" in lines[j + 1]


def test_threads_hook(tmp_path, capsys):
    # export passes --threads to fill(threads=) when fill takes it; until then, one clear line
    import inspect

    rc, _ = run_main(["export", "cosine", "--max-lr", "0.1", "--total-steps", "10", "--steps",
                      "100", "--threads", "2", "-o", str(tmp_path / "a.npy")])
    if "threads" in inspect.signature(fastlr.Schedule.fill).parameters:
        assert rc == 0
        assert bits(np.load(tmp_path / "a.npy")) == bits(fastlr.CosineAnnealing(0.1, 10).array(100))
    else:
        assert rc == 2 and "--threads" in capsys.readouterr().err
        assert not (tmp_path / "a.npy").exists()
