"""fastlr.integrations.torch.ScheduleLR with real PyTorch (CPU).

Expected rates come from the schedule's scalar path ``schedule(k)`` (a different code path from the
block fill the scheduler uses) or straight from the user's array; every comparison is exact.
"""
from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

import fastlr
from helpers import child_env

torch = pytest.importorskip("torch")
from torch.optim.lr_scheduler import (  # noqa: E402
    ChainedScheduler, LRScheduler, MultiplicativeLR, SequentialLR)

from fastlr.integrations.torch import BLOCK, ScheduleLR  # noqa: E402

COSINE = fastlr.with_warmup(fastlr.CosineAnnealing(max_lr=0.1, total_steps=6000, min_lr=1e-4), 300)
STEPS = fastlr.StepDecay(lr=0.7, gamma=0.5, step_size=700)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))


def _two_groups(model, lrs=(0.1, 0.02), **kw):
    """SGD with two param groups (the two layers)."""
    return torch.optim.SGD([{"params": model[0].parameters(), "lr": lrs[0]},
                            {"params": model[1].parameters(), "lr": lrs[1]}], momentum=0.9, **kw)


def _lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def _with_grads(model):
    """Give every parameter a fixed gradient (from one batch of deterministic data); each
    ``opt.step()`` then moves the weights by an amount that depends on the rate of that step."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(5, 3, generator=g), torch.randn(5, 1, generator=g)
    torch.nn.functional.mse_loss(model(x), y).backward()
    return model


def _train_step(opt, sched):
    opt.step()
    sched.step()


def _follow(opt, sched, want, n):
    """opt holds want(0) after construction and want(k) after k steps, for k < n."""
    assert _lrs(opt) == want(0)
    for k in range(1, n):
        opt.step()
        sched.step()
        got = _lrs(opt)
        assert got == want(k), (k, got, want(k))
        assert sched.last_epoch == k
    assert sched.get_last_lr() == want(n - 1)


SMALL_BLOCK = 64
N_FOLLOW = 5 * SMALL_BLOCK + 17  # crosses block boundaries of the small blocks below


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of SMALL_BLOCK steps: the same refill code, crossed many times in few steps (one
    test below runs with the real BLOCK)."""
    monkeypatch.setattr("fastlr.integrations.torch.BLOCK", SMALL_BLOCK)


def test_is_a_torch_scheduler():
    opt = _two_groups(_model())
    assert isinstance(ScheduleLR(opt, COSINE), LRScheduler)


def test_absolute_one_schedule_two_groups():
    assert BLOCK == 4096
    opt = _two_groups(_model())
    sched = ScheduleLR(opt, COSINE)
    _follow(opt, sched, lambda k: [COSINE(k), COSINE(k)], BLOCK + 300)


def test_relative_one_schedule_two_groups(small_blocks):
    opt = _two_groups(_model(), lrs=(0.3, 0.07))
    multiplier = fastlr.CosineAnnealing(max_lr=1.0, total_steps=5000)
    sched = ScheduleLR(opt, multiplier, mode="relative")
    _follow(opt, sched, lambda k: [0.3 * multiplier(k), 0.07 * multiplier(k)], N_FOLLOW)


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_list_of_schedules(mode, small_blocks):
    opt = _two_groups(_model(), lrs=(0.5, 2.0))
    sched = ScheduleLR(opt, [COSINE, STEPS], mode=mode)
    if mode == "relative":
        want = lambda k: [0.5 * COSINE(k), 2.0 * STEPS(k)]  # noqa: E731
    else:
        want = lambda k: [COSINE(k), STEPS(k)]  # noqa: E731
    _follow(opt, sched, want, N_FOLLOW)


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_two_d_array(mode, small_blocks):
    rng = np.random.default_rng(1)
    values = rng.uniform(0.0, 1.0, size=(N_FOLLOW, 2))
    opt = _two_groups(_model(), lrs=(0.1, 3.0))
    sched = ScheduleLR(opt, values, mode=mode)
    if mode == "absolute":
        want = lambda k: [float(values[k, 0]), float(values[k, 1])]  # noqa: E731
    else:
        want = lambda k: [0.1 * float(values[k, 0]), 3.0 * float(values[k, 1])]  # noqa: E731
    _follow(opt, sched, want, N_FOLLOW)


def test_one_d_array_and_float32_input():
    values = np.linspace(1.0, 0.0, 50, dtype=np.float32)
    opt = _two_groups(_model())
    sched = ScheduleLR(opt, values)
    _follow(opt, sched, lambda k: [float(values[k])] * 2, 50)


def test_array_is_copied():
    values = np.linspace(1.0, 0.5, 20)
    opt = _two_groups(_model())
    sched = ScheduleLR(opt, values)
    values[:] = 7.0
    opt.step()
    sched.step()
    assert _lrs(opt) == [1.0 - 0.5 / 19] * 2


def test_on_end_hold():
    values = np.array([0.3, 0.2, 0.1])
    opt = _two_groups(_model())
    sched = ScheduleLR(opt, values)
    seen = []
    for _ in range(6):
        opt.step()
        sched.step()
        seen.append(_lrs(opt))
    assert seen == [[0.2] * 2, [0.1] * 2] + [[0.1] * 2] * 4
    assert sched.last_epoch == 6


def test_on_end_raise():
    values = np.array([[0.3, 3.0], [0.2, 2.0], [0.1, 1.0]])
    opt = _two_groups(_model())
    sched = ScheduleLR(opt, values, on_end="raise")
    for _ in range(2):
        opt.step()
        sched.step()
    assert _lrs(opt) == [0.1, 1.0] and sched.last_epoch == 2
    opt.step()
    with pytest.raises(IndexError, match=r"step 3 is past the end of the 3-step"):
        sched.step()
    assert _lrs(opt) == [0.1, 1.0] and sched.last_epoch == 2  # left at the last step


SOURCES = {
    "schedule": lambda: COSINE,
    "schedules": lambda: [COSINE, STEPS],
    "array1d": lambda: COSINE.array(1000) * 0.5,
    "array2d": lambda: np.stack([COSINE.array(1000), STEPS.array(1000)], axis=1),
}


@pytest.mark.parametrize("mode", ["absolute", "relative"])
@pytest.mark.parametrize("kind", list(SOURCES))
def test_checkpoint_at_500_of_1000_resumes_exactly(tmp_path, kind, mode, small_blocks):
    # Uninterrupted run: rates after each step and the final weights.
    model = _with_grads(_model())
    opt = _two_groups(model)
    sched = ScheduleLR(opt, SOURCES[kind](), mode=mode)
    straight = [_lrs(opt)]
    for _ in range(1000):
        _train_step(opt, sched)
        straight.append(_lrs(opt))
    final = [p.detach().clone() for p in model.parameters()]

    # Interrupted at step 500: checkpoint through torch.save / torch.load(weights_only=True).
    model = _with_grads(_model())
    opt = _two_groups(model)
    sched = ScheduleLR(opt, SOURCES[kind](), mode=mode)
    for _ in range(500):
        _train_step(opt, sched)
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                "sched": sched.state_dict()}, path)
    del model, opt, sched

    ckpt = torch.load(path, weights_only=True)
    model = _with_grads(_model())
    opt = _two_groups(model)
    # A schedule comes back from its to_dict (the constructor's argument is replaced); an array
    # must be given again (it is stored by its checksum only).
    fresh = fastlr.Constant(lr=9.0) if kind == "schedule" else SOURCES[kind]()
    sched = ScheduleLR(opt, fresh, mode=mode)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["opt"])
    sched.load_state_dict(ckpt["sched"])
    resumed = [_lrs(opt)]
    for _ in range(500, 1000):
        _train_step(opt, sched)
        resumed.append(_lrs(opt))
    assert resumed == straight[500:]
    assert sched.last_epoch == 1000
    for p, q in zip(model.parameters(), final):
        assert torch.isfinite(q).all() and torch.equal(p, q)


def test_state_dict_holds_the_dict_not_the_array():
    sched = ScheduleLR(_two_groups(_model()), COSINE)
    state = sched.state_dict()
    assert state["schedule"] == {"kind": "schedule", "schedule": COSINE.to_dict()}
    assert fastlr.from_dict(state["schedule"]["schedule"]) == COSINE

    sched = ScheduleLR(_two_groups(_model()), [COSINE, STEPS])
    assert sched.state_dict()["schedule"] == {
        "kind": "schedules", "schedules": [COSINE.to_dict(), STEPS.to_dict()]}

    values = np.linspace(1.0, 0.0, 100_000)
    state = ScheduleLR(_two_groups(_model()), values).state_dict()
    spec = state["schedule"]
    assert spec["kind"] == "array" and spec["length"] == 100_000 and len(spec["sha256"]) == 64
    buf = io.BytesIO()
    torch.save(state, buf)
    assert buf.tell() < 4096  # 800 kB of values are not in it


def test_load_checks_the_array():
    values = np.linspace(1.0, 0.0, 100)
    state = ScheduleLR(_two_groups(_model()), values).state_dict()
    other = values.copy()
    other[57] = 0.25
    with pytest.raises(ValueError, match="is not the array given to this ScheduleLR"):
        ScheduleLR(_two_groups(_model()), other).load_state_dict(state)
    with pytest.raises(ValueError, match="construct ScheduleLR with that same array"):
        ScheduleLR(_two_groups(_model()), COSINE).load_state_dict(state)
    with pytest.raises(ValueError, match="not a ScheduleLR state"):
        ScheduleLR(_two_groups(_model()), values).load_state_dict({"last_epoch": 3})


def test_inside_sequential_lr():
    opt = _two_groups(_model())
    first = fastlr.Linear(start_lr=0.0, end_lr=0.1, total_steps=100)
    second = fastlr.CosineAnnealing(max_lr=0.1, total_steps=400)
    seq = SequentialLR(opt, [ScheduleLR(opt, first), ScheduleLR(opt, second)], milestones=[100])
    # SequentialLR's convention: the second scheduler starts at its own step 0 at the milestone.
    want = [first(k) if k < 100 else second(k - 100) for k in range(500)]
    got = [opt.param_groups[0]["lr"]]
    for _ in range(499):
        opt.step()
        seq.step()
        got.append(opt.param_groups[0]["lr"])
    assert got == want
    assert [g["lr"] for g in opt.param_groups] == [want[-1]] * 2
    assert seq.get_last_lr() == [want[-1]] * 2


def test_inside_chained_scheduler():
    # ScheduleLR sets the rate; a chainable scheduler after it multiplies that rate.
    opt = _two_groups(_model())
    chained = ChainedScheduler([ScheduleLR(opt, COSINE), MultiplicativeLR(opt, lambda k: 0.5)])
    got = []
    for _ in range(50):
        opt.step()
        chained.step()
        got.append(opt.param_groups[1]["lr"])
    assert got == [COSINE(k) * 0.5 for k in range(1, 51)]


def test_tensor_lr_updated_in_place():
    model = _model()
    lr0 = torch.tensor(0.5, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=lr0)
    sched = ScheduleLR(opt, COSINE)
    assert opt.param_groups[0]["lr"] is lr0
    for k in range(1, 20):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] is lr0 and lr0.item() == COSINE(k)
    last = sched.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not lr0 and last.item() == COSINE(19)


# torch 2.13's dynamo touches torch.jit.script_method while tracing the optimizer and that warns
# (a torch-internal deprecation, nothing this test or fastlr calls).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compiled_optimizer_step_compiles_once():
    """A tensor lr changed by ScheduleLR does not recompile a torch.compile'd optimizer step: the
    recompile guard is on and the backend is called only during the first call."""
    import torch._dynamo

    torch._dynamo.reset()
    calls = []

    def backend(gm, example_inputs):
        calls.append(gm)
        return torch._dynamo.lookup_backend("aot_eager")(gm, example_inputs)

    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01, dtype=torch.float64))
    sched = ScheduleLR(opt, COSINE)
    x, y = torch.randn(8, 3), torch.randn(8, 1)

    @torch.compile(backend=backend)
    def opt_step():
        opt.step()

    seen = []
    try:
        with torch._dynamo.config.patch(error_on_recompile=True):
            for k in range(100):
                opt.zero_grad()
                torch.nn.functional.mse_loss(model(x), y).backward()
                opt_step()
                if k == 0:
                    first = len(calls)
                sched.step()
                seen.append(opt.param_groups[0]["lr"].item())
    finally:
        torch._dynamo.reset()
    assert first >= 1 and len(calls) == first
    assert seen == [COSINE(k) for k in range(1, 101)]


def test_transformers_trainer(tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from transformers import Trainer, TrainerCallback, TrainingArguments

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 1)

        def forward(self, x, labels=None):
            out = self.lin(x).squeeze(-1)
            return {"loss": ((out - labels) ** 2).mean(), "logits": out}

    class Record(TrainerCallback):
        def on_step_begin(self, args, state, control, optimizer=None, **kw):
            seen.append(optimizer.param_groups[0]["lr"])

    g = torch.Generator().manual_seed(0)
    data = [{"x": torch.randn(3, generator=g), "labels": torch.randn((), generator=g)}
            for _ in range(48)]
    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    schedule = fastlr.CosineAnnealing(max_lr=0.1, total_steps=12)
    sched = ScheduleLR(opt, schedule)
    seen = []
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=12,
                             per_device_train_batch_size=4, report_to=[], save_strategy="no",
                             logging_strategy="no", use_cpu=True, disable_tqdm=True)
    Trainer(model=model, args=args, train_dataset=data, optimizers=(opt, sched),
            callbacks=[Record()]).train()
    assert seen == [schedule(k) for k in range(12)]
    assert sched.last_epoch == 12


@pytest.mark.parametrize("bad, match", [
    (dict(mode="multiply"), "mode must be 'absolute' or 'relative', got 'multiply'"),
    (dict(on_end="wrap"), "on_end must be 'hold' or 'raise', got 'wrap'"),
    (dict(last_epoch=-2), "last_epoch must be >= -1, got -2"),
    (dict(schedule=[COSINE]), "schedule has 1 schedules but the optimizer has 2 param groups"),
    (dict(schedule=np.ones((5, 3))), "has 3 columns but the optimizer has 2 param groups"),
    (dict(schedule=np.ones((2, 2, 2))), r"must be 1-D \(steps\) or 2-D"),
    (dict(schedule=np.array([])), "at least one step"),
    (dict(schedule=np.array([0.1, np.nan])), "must be finite, got nan at index 1"),
])
def test_bad_arguments_value_error(bad, match):
    kw = dict(schedule=COSINE)
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        ScheduleLR(_two_groups(_model()), kw.pop("schedule"), **kw)


def test_bad_arguments_type_error():
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer, got list"):
        ScheduleLR([], COSINE)
    with pytest.raises(TypeError, match=r"schedule\[1\] must be a fastlr schedule"):
        ScheduleLR(_two_groups(_model()), [COSINE, 0.1])
    with pytest.raises(TypeError, match="schedule must be a fastlr schedule, a list of them or"):
        ScheduleLR(_two_groups(_model()), {"lr": 0.1})
    with pytest.raises(TypeError, match="last_epoch must be an int, got float"):
        ScheduleLR(_two_groups(_model()), COSINE, last_epoch=0.0)


def _child(code, cwd):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=child_env(), cwd=cwd, timeout=120)


def test_import_fastlr_imports_no_framework(tmp_path):
    r = _child("import sys, fastlr, fastlr.integrations\n"
               "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
               "('torch', 'jax', 'jaxlib', 'optax', 'keras', 'tensorflow'))\n"
               "assert not bad, bad\n", tmp_path)
    assert r.returncode == 0, r.stderr


def test_import_error_names_the_extra(tmp_path):
    r = _child("import sys; sys.modules['torch'] = None\n"
               "try:\n    import fastlr.integrations.torch\n"
               "except ImportError as e:\n    print(e)\n", tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'fastlr.integrations.torch needs PyTorch: pip install "fastlr-schedules[torch]"' \
        in r.stdout
