"""``python -m fastlr`` in a subprocess: every subcommand, its outputs read back and compared with
``array()`` bit for bit, and every class of error — exit status 2 (130 for Ctrl-C), exactly one
line on stderr, no traceback, nothing on stdout, no output file left behind."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import fastlr
from helpers import bits, child_env

DATA = Path(__file__).with_name("data") / "specs"


def fastlr_cmd(*argv, cwd, timeout=300, limit_as=None, env=None):
    def limit():  # pragma: no cover - runs in the child
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    return subprocess.run([sys.executable, "-m", "fastlr", *map(str, argv)], cwd=cwd,
                          env=env or child_env(), capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit if limit_as else None)


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and "Traceback" not in proc.stdout
    return proc.stdout


def one_line_error(proc, *words, status=2):
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.stdout == ""
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


COS = ["cosine", "--max-lr", "0.1", "--total-steps", "10k", "--min-lr", "1e-5"]
COS_S = fastlr.CosineAnnealing(0.1, 10_000, 1e-5)


# ------------------------------------------------------------------------------------ commands
def test_show(tmp_path):
    out = ok(fastlr_cmd("show", *COS, "--steps", "12k", cwd=tmp_path))
    a = COS_S.array(12_000)
    assert repr(COS_S) in out
    assert f"first {float(a[0])!r}   last {float(a[-1])!r}" in out
    assert "horizon: 10,000 (constant from there: 1e-05)" in out
    assert "phase boundaries: 10,000" in out


def test_show_default_steps_and_spec(tmp_path):
    pytest.importorskip("yaml")
    out = ok(fastlr_cmd("show", "--spec", DATA / "warmup_cosine.yaml", cwd=tmp_path))
    assert "WithWarmup(inner=CosineAnnealing(max_lr=0.0003, total_steps=1000000" in out
    assert "steps 0 … 1,102,199" in out  # horizon 1,002,000 + a tenth
    assert "phase boundaries: 2,000, 1,002,000" in out


@pytest.mark.parametrize("fmt", ["npy", "csv", "parquet"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_export_reads_back_bit_for_bit(tmp_path, fmt, dtype):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    start = 2**40 + 3
    out = ok(fastlr_cmd("export", *COS, "--steps", "70001", "--start", start, "--dtype", dtype,
                        "-o", f"lr.{fmt}", cwd=tmp_path))
    assert f"wrote lr.{fmt}: 70,001 {dtype} values of steps {start:,}" in out
    want = COS_S.array(70_001, start, dtype)
    steps = np.arange(start, start + 70_001)
    if fmt == "npy":
        got = np.load(tmp_path / "lr.npy")
        assert got.dtype == want.dtype
    elif fmt == "csv":
        lines = (tmp_path / "lr.csv").read_text().splitlines()
        assert lines[0] == "step,lr"
        assert [int(x.split(",")[0]) for x in lines[1:]] == steps.tolist()
        got = np.array([float(x.split(",")[1]) for x in lines[1:]]).astype(dtype)
        # the shortest repr of the float64 value of each element
        assert lines[1].split(",")[1] == repr(float(want[0]))
    else:
        import pyarrow.parquet as pq

        t = pq.read_table(tmp_path / "lr.parquet")
        assert t.column("step").to_numpy().tolist() == steps.tolist()
        got = t.column("lr").to_numpy()
        assert got.dtype == want.dtype
    assert bits(got) == bits(want)
    assert [p.name for p in tmp_path.iterdir()] == [f"lr.{fmt}"]  # no temporary left


def test_export_every(tmp_path):
    ok(fastlr_cmd("export", "--spec", DATA / "join.json", "--steps", "1M", "--every", "997",
                  "-o", "lr.csv", cwd=tmp_path))
    s = fastlr.load_spec(DATA / "join.json")
    lines = (tmp_path / "lr.csv").read_text().splitlines()[1:]
    steps = np.arange(0, 10**6, 997)
    assert [int(x.split(",")[0]) for x in lines] == steps.tolist()
    assert bits(np.array([float(x.split(",")[1]) for x in lines])) == bits(s.array(10**6)[::997])
    ok(fastlr_cmd("export", "--spec", DATA / "join.json", "--steps", "1M", "--every", "997",
                  "--dtype", "float32", "-o", "lr.npy", cwd=tmp_path))
    assert bits(np.load(tmp_path / "lr.npy")) == bits(s.array(10**6, dtype=np.float32)[::997])


def test_export_replaces_the_previous_file(tmp_path):
    (tmp_path / "lr.npy").write_bytes(b"old")
    ok(fastlr_cmd("export", *COS, "--steps", "100", "-o", "lr.npy", cwd=tmp_path))
    assert bits(np.load(tmp_path / "lr.npy")) == bits(COS_S.array(100))


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_plot_overlay(tmp_path, fmt):
    pytest.importorskip("matplotlib")
    out = ok(fastlr_cmd("plot", *COS, "+", "wsd", "--max-lr", "0.1", "--warmup-steps", "500",
                        "--stable-steps", "6k", "--decay-steps", "3.5k", "--spec",
                        DATA / "join.json", "--steps", "12k", "--log", "-o", f"c.{fmt}",
                        cwd=tmp_path))
    assert f"wrote c.{fmt} (1200x600): 3 schedules, steps 0 … 11,999" in out
    data = (tmp_path / f"c.{fmt}").read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        text = data.decode()
        assert text.lstrip().startswith("<?xml") and "</svg>" in text
        # the legend: one entry per schedule (matplotlib keeps the text in comments)
        for name in ("CosineAnnealing(", "WarmupStableDecay(", "Join("):
            assert f"<!-- {name}" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"c.{fmt}"]


def test_sweep_and_reduce(tmp_path):
    pytest.importorskip("yaml")
    out = ok(fastlr_cmd("sweep", DATA / "grid.yaml", "-o", "g.npy", cwd=tmp_path))
    assert "8 CosineAnnealing schedules x 30,000 steps" in out
    params = {"max_lr": [0.1, 0.3], "total_steps": [20_000, 2**14], "min_lr": [0.0, 1e-5]}
    want = fastlr.sweep(fastlr.grid("cosine", **params), 30_000, dtype=np.float32)
    assert bits(np.load(tmp_path / "g.npy")) == bits(want)
    meta = json.loads((tmp_path / "g.params.json").read_text())
    assert meta["params"] == fastlr.grid_params(**params)
    out = ok(fastlr_cmd("sweep", DATA / "grid.yaml", "--reduce", "sum,min,max,final", "-o",
                        "r.csv", cwd=tmp_path))
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0] == "max_lr,total_steps,min_lr,sum,min,max,final"
    full = fastlr.sweep(fastlr.grid("cosine", **params), 30_000)
    for line, row in zip(rows[1:], full):
        vals = [float(x) for x in line.split(",")[3:]]
        assert vals[1:] == [row.min(), row.max(), row[-1]]
        assert vals[0] == pytest.approx(row.sum(), rel=1e-12)
    out = fastlr_cmd("sweep", DATA / "grid.yaml", "--reduce", "final", cwd=tmp_path)
    assert out.returncode == 0 and "max_lr" in out.stdout.splitlines()[0]


def test_list_and_help(tmp_path):
    out = ok(fastlr_cmd("list", cwd=tmp_path))
    for name, cls in fastlr.schedule_classes().items():
        assert name + "(" in out
        for p, kind in fastlr.parameters(cls).items():
            assert f"{p}: {kind}" in out
    assert "aliases: cos, cosine, cosine_annealing, cosine_decay" in out
    for cmd in ("show", "export", "plot", "sweep", "list"):
        text = ok(fastlr_cmd(cmd, "--help", cwd=tmp_path))
        tail = text.rstrip().split("\n\n")[-1]
        assert tail.startswith("examples:\n  fastlr " + cmd), (cmd, tail)
    assert "commands:" in ok(fastlr_cmd("--help", cwd=tmp_path))


# ------------------------------------------------------------------------------------ errors
BAD = [
    (["frobnicate"], ["unknown command 'frobnicate'"]),
    ([], ["choose a command"]),
    (["show", "cosin", "--max-lr", "0.1"], ["unknown schedule 'cosin'", "did you mean 'cosine'"]),
    (["show", "cosine", "--max-lr", "0.1"], ["needs 'total_steps' (missing)"]),
    (["show", *COS, "--max-lrr", "3"], ["no parameter 'max_lrr'", "did you mean 'max_lr'"]),
    (["show", "cosine", "--max-lr", "abc", "--total-steps", "10"], ["max_lr must be a number"]),
    (["show", *COS, "--steps", "9**99999999999"], ["more than 2**63 - 1 steps"]),
    (["show", "cosine", "--max-lr", "0.1", "--total-steps", "9" * 5000], ["too long"]),
    (["show", *COS, "--steps", "1T"], ["8,000,000,000,000 bytes", "export"]),
    (["show", *COS, "stray"], ["unexpected argument 'stray'"]),
    (["show", *COS, "+", *COS], ["show takes one schedule"]),
    (["show", *COS, "-o", "x.npy"], ["fastlr export ... -o FILE"]),
    (["show", "--spec", "missing.yaml"], ["missing.yaml", "cannot read spec", "No such file"]),
    (["show", "--spec", DATA / "bomb.yaml"], ["more than 100,000 values"]),
    (["show", "--spec", DATA / "selfref.yaml"], ["contains itself"]),
    (["show", "--spec", "deep.json"], ["nested more than 32 levels"]),
    (["show", "--spec", "bad.yaml"], ["not valid YAML"]),
    (["show", "mxnet:cosine"], ["unknown framework 'mxnet'"]),
    (["export", *COS, "--steps", "10", "-o", "out.txt"], ["use a .npy, .csv or .parquet"]),
    (["export", *COS, "--steps", "10", "-o", "nodir/out.npy"], ["does not exist"]),
    (["export", *COS, "--steps", "10", "-o", "adir.npy"], ["is a directory"]),
    (["export", *COS, "--steps", "1e15", "-o", "big.npy"], ["8,000,000,000,004,096 bytes", "free"]),
    (["export", *COS, "-o", "x.npy"], ["--steps N is required"]),
    (["export", *COS, "--steps", "10", "--every", "0", "-o", "x.csv"], ["--every must be >= 1"]),
    (["export", *COS, "--steps", "10", "--start", "9223372036854775800", "-o", "x.npy"],
     ["2**63 - 1"]),
    (["plot", *COS, "-o", "p.jpg"], ["use a .png or .svg"]),
    (["plot", "-o", "p.png"], ["give a schedule"]),
    (["plot", "exponential", "--lr", "0.1", "--decay-rate", "1e-3", "-o", "p.png"],
     ["pass --steps N", "no horizon"]),
    (["sweep", "grid.json"], ["-o OUT.npy is required"]),
    (["sweep", "grid.json", "-o", "g.npy", "--threads", "0"], ["threads must be >= 1"]),
    (["sweep", "grid.json", "--reduce", "summ"], ["unknown statistic 'summ'", "'sum'"]),
    (["sweep", "badgrid.json", "-o", "g.npy"], ["unknown key 'parms'", "did you mean 'params'"]),
    (["sweep", "biggrid.json", "-o", "g.npy"], ["rows, more than 100,000"]),
    (["list", "extra"], ["unrecognized arguments: extra"]),
]


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "adir.npy").mkdir()
    (tmp_path / "deep.json").write_text('{"schedule": "with_warmup", "warmup_steps": 1, '
                                        '"inner": ' * 40 + '{"schedule": "constant", "lr": 1}'
                                        + "}" * 40)
    (tmp_path / "bad.yaml").write_text("schedule: cosine\n  max_lr: [\n")
    (tmp_path / "grid.json").write_text(json.dumps(
        {"family": "cosine", "steps": 100, "params": {"max_lr": [0.1], "total_steps": [50]}}))
    (tmp_path / "badgrid.json").write_text(json.dumps({"family": "cosine", "parms": {}}))
    (tmp_path / "biggrid.json").write_text(json.dumps(
        {"family": "cosine", "steps": 10,
         "params": {"max_lr": [0.1] * 400, "total_steps": [10] * 400}}))
    return tmp_path


@pytest.mark.parametrize("argv, words", BAD, ids=[" ".join(map(str, a))[:40] for a, _ in BAD])
def test_errors_are_one_line_with_status_2(workdir, argv, words):
    if any("yaml" in str(a) for a in argv):
        pytest.importorskip("yaml")
    before = sorted(p.name for p in workdir.iterdir())
    one_line_error(fastlr_cmd(*argv, cwd=workdir), *words)
    assert sorted(p.name for p in workdir.iterdir()) == before  # nothing written


def test_memory_error_is_one_line(tmp_path):
    # 200M float64 values (1.6 GB) fit in this machine's memory but not under a 1 GB address
    # space limit: numpy's MemoryError becomes one line
    line = one_line_error(fastlr_cmd("show", *COS, "--steps", "200M", cwd=tmp_path,
                                     limit_as=1 << 30), "1,600,000,000 bytes")
    assert "error" in line


def test_missing_optional_package_is_one_line(tmp_path):
    # a pyarrow that cannot be imported (a package directory that raises ImportError)
    fake = tmp_path / "fake"
    (fake / "pyarrow").mkdir(parents=True)
    (fake / "pyarrow" / "__init__.py").write_text("raise ImportError('no pyarrow here')\n")
    env = child_env()
    env["PYTHONPATH"] = os.pathsep.join([str(fake), env["PYTHONPATH"]])
    one_line_error(fastlr_cmd("export", *COS, "--steps", "10", "-o", "x.parquet", cwd=tmp_path,
                              env=env), 'pip install "fastlr-schedules[parquet]"')


# ------------------------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_leaves_no_partial_file_and_the_old_one_intact(tmp_path):
    (tmp_path / "lr.csv").write_text("previous\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastlr", "export", *COS, "--steps", "2e8", "-o", "lr.csv"],
        cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not any(p.name.endswith(".tmp") and p.stat().st_size > 0
                      for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.splitlines() == ["fastlr export: interrupted"] and out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["lr.csv"]
    assert (tmp_path / "lr.csv").read_text() == "previous\n"


# ------------------------------------------------------------------------------------ full disk
@pytest.fixture
def tiny_fs(tmp_path):
    """A 4 MB tmpfs (needs root / CAP_SYS_ADMIN; skipped otherwise)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_full_disk_is_refused_up_front(tiny_fs):
    (tiny_fs / "lr.npy").write_bytes(b"previous")
    one_line_error(fastlr_cmd("export", *COS, "--steps", "1M", "-o", tiny_fs / "lr.npy",
                              cwd=tiny_fs), "8,004,096 bytes", "free on its disk")
    assert sorted(p.name for p in tiny_fs.iterdir()) == ["lr.npy"]
    assert (tiny_fs / "lr.npy").read_bytes() == b"previous"


@pytest.mark.parametrize("fmt", ["npy", "csv"])
def test_full_disk_during_the_write_is_an_error_not_a_crash(tiny_fs, monkeypatch, capsys, fmt):
    # the free-space check passes (patched), then the disk fills: the reservation (npy) or a
    # write (csv) fails with ENOSPC -> one line, status 2, no SIGBUS, no temporary file left
    import shutil

    from fastlr import cli

    (tiny_fs / f"lr.{fmt}").write_bytes(b"previous")
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda p: real(p)._replace(free=10**12))
    rc = cli.main(["export", *COS, "--steps", "1M", "-o", str(tiny_fs / f"lr.{fmt}")])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert sorted(p.name for p in tiny_fs.iterdir()) == [f"lr.{fmt}"]
    assert (tiny_fs / f"lr.{fmt}").read_bytes() == b"previous"
