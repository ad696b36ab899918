"""Optional peers for ``bench/report.py --peers``: the same schedules written the way users of other
libraries write them. Each peer is skipped (with a note) when its library is not installed.

* ``torch``: the closed form with torch ops (``torch.cos`` ...) on a ``torch.arange``, 2 intra-op
  threads; allocates its result, like the numpy reference.
* ``numba``: an ``@njit`` loop writing into the same preallocated ``out`` as fastlr (compiled
  before timing).
* ``jax``: a jitted ``vmap`` of the optax schedule over an ``arange`` (x64 enabled; optax has no
  periodic cosine, so ``Cyclical`` is the ``jnp`` closed form); timed up to
  ``block_until_ready()``, without the copy back to numpy.

A peer knows a schedule by its class name; adding a family means adding a formula to each peer's
table here (or none: the report shows "—" for it). float32 output is computed in float64 and
rounded once, the same contract as fastlr and the numpy reference.
"""
from __future__ import annotations

import math
import os
from typing import Callable, Dict, List, Optional

import numpy as np

Thunk = Callable[[], object]


class Peer:
    name = ""
    column = ""

    def __init__(self) -> None:
        self.version = ""
        self.reason = ""  # why it is unavailable, if it is

    def load(self) -> bool:
        raise NotImplementedError

    def make(self, sched, n: int, start: int, out: np.ndarray) -> Optional[Thunk]:
        """A zero-argument callable computing the window, or None for an unknown family."""
        raise NotImplementedError

    def values(self, result, out: np.ndarray) -> np.ndarray:
        """The values a thunk produced, as numpy (for the agreement check)."""
        return np.asarray(result)


# ------------------------------------------------------------------------------------------ torch
class TorchPeer(Peer):
    name = "torch"
    column = "torch (2 threads) ns/elem"

    def load(self) -> bool:
        # torch's OpenMP workers spin after each parallel region by default; on a 2-core machine
        # the spinning worker competes with the single-threaded functions timed right after it
        # (out.fill, fastlr, numpy). PASSIVE puts them to sleep instead (read once, at import).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import torch
        except Exception as exc:  # ImportError, or a broken install
            self.reason = f"{type(exc).__name__}: {exc}"
            return False
        torch.set_num_threads(2)
        self.torch = torch
        self.version = (f"torch {torch.__version__} ({torch.get_num_threads()} threads, "
                        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')})")
        return True

    def make(self, sched, n, start, out):
        torch = self.torch
        p = sched.params
        f64 = torch.float64
        name = type(sched).__name__
        if name == "StepDecay":
            lr, g, size = p["lr"], p["gamma"], p["step_size"]

            def formula(t):
                k = torch.div(t, size, rounding_mode="floor").to(f64)
                return lr * torch.pow(torch.tensor(g, dtype=f64), k)
        elif name == "ExponentialDecay":
            lr, r = p["lr"], p["decay_rate"]

            def formula(t):
                return lr * torch.exp(-r * t.to(f64))
        elif name == "CosineAnnealing":
            hi, lo, T = p["max_lr"], p["min_lr"], p["total_steps"]

            def formula(t):
                x = torch.clamp(t, max=T).to(f64)
                return lo + 0.5 * (hi - lo) * (1.0 + torch.cos(math.pi * x / T))
        elif name == "Warmup":
            hi, lo, W = p["max_lr"], p["init_lr"], p["warmup_steps"]
            if W == 0:
                return None

            def formula(t):
                return lo + (hi - lo) * torch.clamp(t.to(f64) / W, max=1.0)
        elif name == "Cyclical":
            hi, lo, C = p["max_lr"], p["min_lr"], p["cycle_steps"]

            def formula(t):
                return lo + 0.5 * (hi - lo) * (1.0 + torch.cos(math.pi * t.to(f64) / C))
        else:
            return None
        if out.dtype == np.float32:
            def run():
                return formula(torch.arange(start, start + n, dtype=torch.int64)).to(torch.float32)
        else:
            def run():
                return formula(torch.arange(start, start + n, dtype=torch.int64))
        return run

    def values(self, result, out):
        return result.numpy()


# ------------------------------------------------------------------------------------------ numba
class NumbaPeer(Peer):
    name = "numba"
    column = "numba ns/elem"

    def load(self) -> bool:
        try:
            import numba
        except Exception as exc:  # ImportError, or a broken install
            self.reason = f"{type(exc).__name__}: {exc}"
            return False
        self.version = f"numba {numba.__version__}"
        self.kernels = _numba_kernels(numba.njit)
        return True

    def make(self, sched, n, start, out):
        p = sched.params
        name = type(sched).__name__
        k = self.kernels
        if name == "StepDecay":
            args = (p["lr"], p["gamma"], p["step_size"])
        elif name == "ExponentialDecay":
            args = (p["lr"], p["decay_rate"])
        elif name == "CosineAnnealing":
            args = (p["max_lr"], p["total_steps"], p["min_lr"])
        elif name == "Warmup":
            if p["warmup_steps"] == 0:
                return None
            args = (p["max_lr"], p["warmup_steps"], p["init_lr"])
        elif name == "Cyclical":
            args = (p["max_lr"], p["cycle_steps"], p["min_lr"])
        else:
            return None
        fn = k[name]

        def run():
            fn(out, start, *args)
            return out
        return run


def _numba_kernels(njit) -> Dict[str, Callable]:
    @njit(cache=False)
    def step_decay(out, start, lr, gamma, step_size):
        for i in range(out.shape[0]):
            out[i] = lr * gamma ** ((start + i) // step_size)

    @njit(cache=False)
    def exponential(out, start, lr, rate):
        for i in range(out.shape[0]):
            out[i] = lr * math.exp(-rate * (start + i))

    @njit(cache=False)
    def cosine(out, start, hi, T, lo):
        for i in range(out.shape[0]):
            t = min(start + i, T)
            out[i] = lo + 0.5 * (hi - lo) * (1.0 + math.cos(math.pi * t / T))

    @njit(cache=False)
    def warmup(out, start, hi, W, lo):
        for i in range(out.shape[0]):
            out[i] = lo + (hi - lo) * min(1.0, (start + i) / W)

    @njit(cache=False)
    def cyclical(out, start, hi, C, lo):
        for i in range(out.shape[0]):
            out[i] = lo + 0.5 * (hi - lo) * (1.0 + math.cos(math.pi * (start + i) / C))

    return {"StepDecay": step_decay, "ExponentialDecay": exponential, "CosineAnnealing": cosine,
            "Warmup": warmup, "Cyclical": cyclical}


# -------------------------------------------------------------------------------------- jax/optax
class JaxPeer(Peer):
    name = "jax"
    column = "jax/optax ns/elem"

    def load(self) -> bool:
        try:
            import jax
            jax.config.update("jax_enable_x64", True)
            import jax.numpy as jnp
            import optax
        except Exception as exc:  # ImportError, or a broken install
            self.reason = f"{type(exc).__name__}: {exc}"
            return False
        self.jax, self.jnp, self.optax = jax, jnp, optax
        self.version = f"jax {jax.__version__}, optax {optax.__version__} (x64)"
        return True

    def make(self, sched, n, start, out):
        jax, jnp, optax = self.jax, self.jnp, self.optax
        p = sched.params
        name = type(sched).__name__
        if name == "StepDecay":
            fn = optax.exponential_decay(p["lr"], transition_steps=p["step_size"],
                                         decay_rate=p["gamma"], staircase=True)
        elif name == "ExponentialDecay":
            fn = optax.exponential_decay(p["lr"], transition_steps=1,
                                         decay_rate=math.exp(-p["decay_rate"]))
        elif name == "CosineAnnealing":
            hi = p["max_lr"]
            fn = optax.cosine_decay_schedule(hi, decay_steps=p["total_steps"],
                                             alpha=p["min_lr"] / hi if hi else 0.0)
        elif name == "Warmup":
            fn = optax.linear_schedule(p["init_lr"], p["max_lr"], p["warmup_steps"])
        elif name == "Cyclical":
            hi, lo, C = p["max_lr"], p["min_lr"], p["cycle_steps"]

            def fn(t):
                return lo + 0.5 * (hi - lo) * (1.0 + jnp.cos(jnp.pi * t / C))
        else:
            return None
        dt = jnp.float32 if out.dtype == np.float32 else jnp.float64

        @jax.jit
        def window(s):
            t = jnp.arange(n, dtype=jnp.int64) + s
            return jax.vmap(fn)(t).astype(jnp.float64).astype(dt)

        s0 = jnp.asarray(start, dtype=jnp.int64)

        def run():
            return window(s0).block_until_ready()
        return run


ALL: List[type] = [TorchPeer, NumbaPeer, JaxPeer]
