"""fastlr.plot: the per-pixel envelope, plot() and save_plot() (needs matplotlib)."""
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from helpers import child_env

import fastlr
from fastlr.plot import Envelope, envelope, save_plot

mpl = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402

BIG = 10**7
TRI = fastlr.Triangular(0.01, 0.1, 997, 1503)  # period 2500, not commensurate with the bins
COS = fastlr.with_warmup(fastlr.CosineAnnealing(0.1, BIG - BIG // 10, 1e-3), BIG // 10)


def png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


# ------------------------------------------------------------------------------------ envelope
def brute_envelope(values, edges, start):
    """Per-bin min/max/mean by slicing, bin by bin: independent of reduceat and of chunking."""
    lo, hi, mean = [], [], []
    for a, b in zip(edges[:-1], edges[1:]):
        v = values[a - start:b - start]
        lo.append(v.min())
        hi.append(v.max())
        mean.append(v.mean())
    return np.array(lo), np.array(hi), np.array(mean)


@pytest.mark.parametrize("n, bins, chunk", [(10_000, 7, 333), (10_000, 100, 2**20),
                                            (12_345, 1000, 1000), (50, 50, 3), (20, 64, 4)])
def test_envelope_matches_bin_by_bin(n, bins, chunk):
    start = 123
    values = TRI.array(n, start)
    env = envelope(TRI, n, bins, start, chunk_steps=chunk)
    nb = min(bins, n)
    assert isinstance(env, Envelope) and len(env.edges) == nb + 1
    assert env.edges[0] == start and env.edges[-1] == start + n
    assert np.all(np.diff(env.edges) >= 1)
    # bins differ in size by at most one step
    assert np.ptp(np.diff(env.edges)) <= 1
    lo, hi, mean = brute_envelope(values, env.edges, start)
    np.testing.assert_array_equal(env.lo, lo)
    np.testing.assert_array_equal(env.hi, hi)
    np.testing.assert_allclose(env.mean, mean, rtol=1e-13)
    # an array gives the same envelope as its schedule
    env2 = envelope(values, None, bins, start, chunk_steps=chunk)
    np.testing.assert_array_equal(env2.lo, env.lo)
    np.testing.assert_array_equal(env2.hi, env.hi)


def test_envelope_positive_only():
    values = np.array([0.0, 1.0, -2.0, 4.0, 0.0, 0.0, 3.0, 5.0])
    env = envelope(values, None, 4, positive_only=True, chunk_steps=3)
    np.testing.assert_array_equal(env.lo, [1.0, 4.0, np.nan, 3.0])
    np.testing.assert_array_equal(env.hi, [1.0, 4.0, np.nan, 5.0])
    np.testing.assert_array_equal(env.mean, [1.0, 4.0, np.nan, 4.0])


def test_envelope_of_ten_million_steps_reaches_the_true_min_and_max():
    truth = fastlr.sweep_reduce([TRI, COS], BIG, ("min", "max"))
    for k, s in enumerate([TRI, COS]):
        env = envelope(s, BIG, 1000)
        assert env.lo.min() == truth["min"][k]
        assert env.hi.max() == truth["max"][k]
    # the triangle's period (2500) is far below a bin (10^4 steps): every bin spans the full range
    env = envelope(TRI, BIG, 1000)
    assert np.all(env.lo == 0.01) and np.all(env.hi == truth["max"][0])
    # an aliased sample (every 10^4-th step) would not show that
    assert TRI(np.arange(0, BIG, BIG // 1000)).max() < truth["max"][0]


def test_plot_of_ten_million_steps_draws_the_band_to_the_true_extremes():
    truth = fastlr.sweep_reduce([TRI], BIG, ("min", "max"))
    ax = fastlr.plot(TRI, BIG)
    (band,) = ax.collections
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert ys.min() == truth["min"][0] and ys.max() == truth["max"][0]
    (line,) = ax.get_lines()
    width_px = ax.get_position().width * ax.figure.get_figwidth() * ax.figure.dpi
    assert len(line.get_xdata()) == round(width_px)  # one bin per pixel column (496)
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"


def test_short_horizons_are_drawn_exactly():
    fig = Figure(figsize=(6, 3), dpi=100)
    ax = fig.add_subplot()
    columns = int(np.ceil(ax.get_position().width * 600))
    n = 2 * columns  # the largest horizon drawn step by step
    fastlr.plot(TRI, n, ax)
    assert not ax.collections
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(n))
    np.testing.assert_array_equal(line.get_ydata(), TRI.array(n))
    ax = fig.add_subplot()
    fastlr.plot(TRI, n + 1, ax)
    assert len(ax.collections) == 1 and len(ax.get_lines()[0].get_xdata()) == columns
    ax = fastlr.plot(TRI, 100_000, envelope=False, start=5)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), TRI.array(100_000, 5))


def test_plot_arrays_overlay_and_legend():
    fig = Figure(figsize=(4, 3), dpi=50)
    ax = fig.add_subplot()
    arr = COS.array(500)
    out = fastlr.plot([TRI, arr], 500, ax, color=None)
    assert out is ax
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith("Triangular(base_lr=0.01") and len(texts[0]) <= 60
    assert texts[1] == "schedule 1"
    ax = fastlr.plot([TRI, COS], 10**6, label=["tri", "cos"], lw=2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["tri", "cos"]
    assert len(ax.collections) == 2  # two bands
    assert all(line.get_linewidth() == 2 for line in ax.get_lines())
    # a list of numbers is one array; no legend without a label
    ax = fastlr.plot([0.1, 0.2, 0.3])
    assert ax.get_legend() is None and len(ax.get_lines()) == 1


def test_log_scale_leaves_out_non_positive_values():
    s = fastlr.CosineAnnealing(0.1, 100)  # 0 from step 100 on
    ax = fastlr.plot(s, 150, log=True)
    assert ax.get_yscale() == "log"
    y = ax.get_lines()[0].get_ydata()
    assert np.all(y[:100] > 0) and np.all(np.isnan(y[100:]))
    ax = fastlr.plot(fastlr.CosineAnnealing(0.1, BIG // 2), BIG, log=True)
    band = ax.collections[0]
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert np.all(ys > 0)


def test_boundaries_explicit_and_from_the_schedule():
    ax = fastlr.plot(TRI, 10_000, boundaries=[2500, 5000, 20_000])
    xs = [line.get_xdata()[0] for line in ax.get_lines()[1:]]
    assert xs == [2500, 5000]  # 20_000 is outside the window
    pc = fastlr.PiecewiseConstant([300, 700], [0.1, 0.01, 0.001])
    ax = fastlr.plot(pc, 1000)
    assert [line.get_xdata()[0] for line in ax.get_lines()[1:]] == [300, 700]

    class _WithMethod(fastlr.Cyclical):
        def phase_boundaries(self, n_steps):
            return list(range(0, n_steps, self.cycle_steps))[1:]

    ax = fastlr.plot(_WithMethod(0.1, 250), 1000)
    assert [line.get_xdata()[0] for line in ax.get_lines()[1:]] == [250, 500, 750]
    ax = fastlr.plot(pc, 1000, boundaries=[])
    assert len(ax.get_lines()) == 1


@pytest.mark.parametrize("call, exc, words", [
    (lambda: fastlr.plot(TRI), ValueError, ["n_steps"]),
    (lambda: fastlr.plot(TRI, 0), ValueError, ["n_steps", "0"]),
    (lambda: fastlr.plot(TRI, 10.0), TypeError, ["n_steps", "10.0"]),
    (lambda: fastlr.plot(TRI, True), TypeError, ["n_steps"]),
    (lambda: fastlr.plot(np.ones(5), 6), ValueError, ["n_steps=6", "5"]),
    (lambda: fastlr.plot(np.ones((2, 3))), ValueError, ["1-D", "(2, 3)"]),
    (lambda: fastlr.plot(np.array([])), ValueError, ["empty"]),
    (lambda: fastlr.plot("lr"), TypeError, ["schedule_or_array", "str"]),
    (lambda: fastlr.plot([TRI, "x"], 10), TypeError, ["schedule_or_array[1]"]),
    (lambda: fastlr.plot([]), ValueError, ["empty"]),
    (lambda: fastlr.plot(TRI, 10, start=-1), ValueError, ["start", "-1"]),
    (lambda: fastlr.plot(TRI, 10, log="yes"), TypeError, ["log", "yes"]),
    (lambda: fastlr.plot(TRI, 10, envelope=1), TypeError, ["envelope"]),
    (lambda: fastlr.plot(TRI, 10, ax="ax"), TypeError, ["ax", "str"]),
    (lambda: fastlr.plot(TRI, 10, boundaries=[1.5]), TypeError, ["boundaries", "1.5"]),
    (lambda: fastlr.plot(TRI, 10, boundaries=5), TypeError, ["boundaries", "5"]),
    (lambda: fastlr.plot([TRI, TRI], 10, label="a"), TypeError, ["label"]),
    (lambda: fastlr.plot([TRI, TRI], 10, label=["a"]), ValueError, ["label", "1", "2"]),
    (lambda: envelope(TRI, 10, 0), ValueError, ["bins", "0"]),
    (lambda: envelope(TRI, None, 5), ValueError, ["n_steps"]),
    (lambda: envelope(TRI, 10, 5, chunk_steps=0), ValueError, ["chunk_steps"]),
])
def test_bad_input_names_the_parameter(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value)


# ------------------------------------------------------------------------------------ save_plot
def test_save_png_has_the_requested_size_and_is_not_blank(tmp_path):
    path = tmp_path / "lr.png"
    assert save_plot([TRI, COS], path, BIG, width=640, height=360, dpi=80) == path
    assert png_size(path) == (640, 360)
    img = imread(path)
    assert img.shape[:2] == (360, 640)
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std(axis=0).max() > 0.05
    # both series' colours are present (the C0 blue band/line and the C1 orange line)
    blue = np.all(np.abs(rgb - mpl.colors.to_rgb("C0")) < 0.02, axis=1).sum()
    orange = np.all(np.abs(rgb - mpl.colors.to_rgb("C1")) < 0.02, axis=1).sum()
    assert blue > 100 and orange > 100
    assert os.listdir(tmp_path) == ["lr.png"]  # no temporary file left behind


@pytest.mark.parametrize("width, height, dpi", [(333, 211, 72.5), (1000, 500, 96)])
def test_save_png_size_with_other_dpis(tmp_path, width, height, dpi):
    path = tmp_path / "x.PNG"
    save_plot(TRI, path, 10_000, width=width, height=height, dpi=dpi, log=True)
    assert png_size(path) == (width, height)


def test_save_svg_is_xml_of_the_requested_size(tmp_path):
    path = tmp_path / "lr.svg"
    save_plot([TRI, COS], str(path), 10**6, width=600, height=300, dpi=100,
              labels=["triangular", "cosine"], title="two schedules")
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "432pt" and root.get("height") == "216pt"  # pixels / dpi * 72
    text = path.read_text()
    assert "triangular" in text and "two schedules" in text


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "lr.png"
    path.write_bytes(b"old")
    save_plot(TRI, path, 1000, width=100, height=80)
    assert png_size(path) == (100, 80)


class _Boom(fastlr.Cyclical):
    """A schedule that fails if it is evaluated. (Test subclasses are named with a leading
    underscore: other names are added to fastlr's registry, with the parent's aliases.)"""

    def fill(self, out, start=0):
        raise AssertionError("computed before checking the arguments")

    def array(self, n, start=0, dtype=np.float64, *, out=None):
        raise AssertionError("computed before checking the arguments")


def test_save_checks_the_path_before_computing(tmp_path):
    boom = _Boom(0.1, 100)
    with pytest.raises(AssertionError):
        save_plot(boom, tmp_path / "lr.png", BIG)  # the test's premise: boom fails if evaluated
    with pytest.raises(ValueError) as info:
        save_plot(boom, tmp_path / "lr.jpg", BIG)
    assert "lr.jpg" in str(info.value) and ".png" in str(info.value) and ".svg" in str(info.value)
    with pytest.raises(ValueError, match="extension"):
        save_plot(boom, tmp_path / "lr", BIG)
    with pytest.raises(FileNotFoundError, match="missing"):
        save_plot(boom, tmp_path / "missing" / "lr.png", BIG)
    with pytest.raises(ValueError, match="width"):
        save_plot(boom, tmp_path / "lr.png", BIG, width=0)
    with pytest.raises(ValueError, match="dpi"):
        save_plot(boom, tmp_path / "lr.png", BIG, dpi=-1)
    with pytest.raises(TypeError, match="path"):
        save_plot(boom, 3, BIG)
    assert os.listdir(tmp_path) == []


def test_failed_save_leaves_no_file(tmp_path):
    with pytest.raises(ValueError, match="n_steps"):
        save_plot(TRI, tmp_path / "lr.png", None)
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- optional import
def test_import_fastlr_does_not_import_matplotlib(tmp_path):
    code = ("import sys, fastlr; assert 'matplotlib' not in sys.modules; "
            "assert 'fastlr.plot' not in sys.modules; fastlr.plot.envelope; "
            "assert 'matplotlib' not in sys.modules; print('ok')")
    # in a scratch directory, with the fastlr this run imports (a source checkout's root would
    # shadow an installed package)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=child_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'pip install "fastlr-schedules\[plot\]"'):
        fastlr.plot(TRI, 10)
    # the envelope needs only numpy
    assert envelope(TRI, 10, 2).lo.shape == (2,)


def test_fastlr_plot_is_the_callable_module():
    import fastlr.plot as module

    assert fastlr.plot is module and callable(module)
    assert "plot" in fastlr.__all__
