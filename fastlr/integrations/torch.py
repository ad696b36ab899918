"""Drive a PyTorch optimizer from a fastlr schedule (or a precomputed array of rates).

Example::

    import torch, fastlr
    from fastlr.integrations.torch import ScheduleLR
    opt = torch.optim.SGD(model.parameters(), lr=0.0)   # lr is overwritten by the schedule
    sched = ScheduleLR(opt, fastlr.CosineAnnealing(max_lr=0.1, total_steps=10_000))
    for batch in loader:
        loss(batch).backward(); opt.step(); opt.zero_grad(); sched.step()

Step convention: after construction the optimizer holds the step-0 value (the rate of the first
``optimizer.step()``); after ``k`` calls of ``sched.step()`` it holds the step-``k`` value. Needs
PyTorch (``pip install "fastlr-schedules[torch]"``).
"""
from __future__ import annotations

import hashlib
import operator
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

import fastlr
from fastlr import Schedule

try:
    import torch
    from torch.optim.lr_scheduler import LRScheduler
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError('fastlr.integrations.torch needs PyTorch: '
                      'pip install "fastlr-schedules[torch]"') from exc

__all__ = ["ScheduleLR"]

#: Steps precomputed at a time: the values of one block are filled by the schedule's kernel and
#: turned into Python floats once, so ``step()`` is a list lookup.
BLOCK = 4096
_INT64_MAX = 2**63 - 1
_MODES = ("absolute", "relative")
_ON_END = ("hold", "raise")


def _array_spec(values: np.ndarray) -> Dict[str, Any]:
    """What a checkpoint stores of a raw array: its shape and a SHA-256 of its float64 bytes."""
    digest = hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()
    spec: Dict[str, Any] = {"kind": "array", "length": int(values.shape[0]), "sha256": digest}
    if values.ndim == 2:
        spec["groups"] = int(values.shape[1])
    return spec


class ScheduleLR(LRScheduler):
    """A ``torch.optim.lr_scheduler.LRScheduler`` whose rates are a fastlr schedule's values.

    Parameters
    ----------
    optimizer
        Any ``torch.optim.Optimizer``.
    schedule
        One of
        * a fastlr schedule: the same values for every param group;
        * a list of fastlr schedules, one per param group;
        * a 1-D array of rates (step ``k`` is ``values[k]``), the same for every group;
        * a 2-D array of shape ``(steps, groups)``: group ``g`` at step ``k`` is ``values[k, g]``.

        Arrays are copied once as float64 (read-only) and must be finite and non-empty.
    mode
        ``"absolute"`` (default): group ``g``'s lr at step ``k`` is the value itself, whatever lr the
        optimizer was created with. ``"relative"``: it is ``initial_lr[g] * value`` (the value is a
        multiplier of each group's initial lr, as with ``LambdaLR``), one float64 product.
    on_end
        What happens past the last row of an array: ``"hold"`` (default) keeps the last value,
        ``"raise"`` makes the ``step()`` that would go past it raise ``IndexError`` (the optimizer
        and ``last_epoch`` are left at the last step). A fastlr schedule is defined at every step,
        so ``on_end`` has no effect on schedules.
    last_epoch
        As in every torch scheduler: ``-1`` starts at step 0; ``k >= 0`` resumes after step ``k``
        (then the groups need ``initial_lr``, as torch requires).

    Values: a float lr is set to the Python float ``schedule(k)`` (bit for bit, float64, which is
    what torch stores). A tensor lr (``lr=torch.tensor(...)``, as torch recommends for compiled
    optimizers) is updated in place with ``fill_``, so a ``torch.compile``d optimizer step does not
    recompile when the rate changes; a float64 tensor holds ``schedule(k)`` exactly, a float32 one
    holds it rounded once.

    Cost: values are computed :data:`BLOCK` steps at a time by the schedule's kernel (or sliced from
    the array) and converted to Python floats once per block; ``step()`` is a list lookup and one
    assignment per group.

    ``state_dict()`` holds the step counters, the mode and the schedule as its ``to_dict()`` (a list
    of them for per-group schedules); an array is stored by its length and SHA-256, never its values.
    ``load_state_dict()`` restores the schedule from the dict (an array must be the same one given
    to the constructor: a different one raises ValueError) and sets every group's lr to the value
    of the restored step, so training resumes with identical rates. The state holds only plain
    Python types (and tensors for tensor lrs), so it loads with ``torch.load(weights_only=True)``.

    With ``SequentialLR`` the scheduler restarts at its own step 0 at its milestone (torch's
    convention). In a ``ChainedScheduler`` it *sets* the lr (it does not multiply the current
    one), so schedulers chained after it act on its value.
    """

    def __init__(self, optimizer: Any, schedule: Any, *, mode: str = "absolute",
                 on_end: str = "hold", last_epoch: int = -1) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        if mode not in _MODES:
            raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")
        if on_end not in _ON_END:
            raise ValueError(f"on_end must be 'hold' or 'raise', got {on_end!r}")
        if type(last_epoch) is bool or not isinstance(last_epoch, int):
            raise TypeError(f"last_epoch must be an int, got {type(last_epoch).__name__}")
        if last_epoch < -1:
            raise ValueError(f"last_epoch must be >= -1, got {last_epoch}")
        self.mode = mode
        self.on_end = on_end
        self._set_source(schedule, len(optimizer.param_groups))
        super().__init__(optimizer, last_epoch)

    # ------------------------------------------------------------------ the source of the values
    def _set_source(self, schedule: Any, n_groups: int) -> None:
        """Validate ``schedule`` and keep it as ``self._schedules`` (tuple) or ``self._values``."""
        self._schedules: Optional[tuple] = None
        self._values: Optional[np.ndarray] = None
        self._spec: Optional[Dict[str, Any]] = None
        if isinstance(schedule, Schedule):
            self._schedules = (schedule,)
        elif isinstance(schedule, (list, tuple)) and schedule and \
                any(isinstance(s, Schedule) for s in schedule):
            for i, s in enumerate(schedule):
                if not isinstance(s, Schedule):
                    raise TypeError(f"schedule[{i}] must be a fastlr schedule (the list gives "
                                    f"one per param group), got {type(s).__name__}")
            if len(schedule) != n_groups:
                raise ValueError(f"schedule has {len(schedule)} schedules but the optimizer has "
                                 f"{n_groups} param groups")
            self._schedules = tuple(schedule)
        else:
            if isinstance(schedule, torch.Tensor):
                schedule = schedule.detach().cpu().numpy()
            try:
                values = np.array(schedule, dtype=np.float64, copy=True)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"schedule must be a fastlr schedule, a list of them or an array "
                                f"of rates, got {type(schedule).__name__}") from exc
            if values.ndim not in (1, 2):
                raise ValueError(f"schedule array must be 1-D (steps) or 2-D (steps x groups), "
                                 f"got shape {values.shape}")
            if values.shape[0] == 0:
                raise ValueError(f"schedule array must have at least one step, got shape "
                                 f"{values.shape}")
            if values.ndim == 2 and values.shape[1] != n_groups:
                raise ValueError(f"schedule array has {values.shape[1]} columns but the optimizer "
                                 f"has {n_groups} param groups")
            bad = ~np.isfinite(values)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(f"schedule array must be finite, got {values[idx]} at index "
                                 f"{idx if len(idx) > 1 else idx[0]}")
            values.setflags(write=False)
            self._values = values
        self._kind = "array" if self._values is not None else \
            "schedule" if isinstance(schedule, Schedule) else "schedules"
        self._clear_cache()

    def _clear_cache(self) -> None:
        self._cols: List[list] = []
        self._block_start = 0
        self._block_len = 0
        self._held: Optional[List[list]] = None

    def _source_state(self) -> Dict[str, Any]:
        if self._values is not None:
            if self._spec is None:
                self._spec = _array_spec(self._values)
            return dict(self._spec)
        assert self._schedules is not None
        if self._kind == "schedule":
            return {"kind": "schedule", "schedule": self._schedules[0].to_dict()}
        return {"kind": "schedules", "schedules": [s.to_dict() for s in self._schedules]}

    def _columns(self, k: int) -> List[list]:
        """The values of steps ``k … k+BLOCK-1`` (fewer at the end of an array) as one list of
        Python floats per param group (the same list object for groups that share values: plain
        float lists, so the garbage collector has nothing to track); ``k`` is within the source."""
        n_groups = len(self.optimizer.param_groups)
        if self._values is not None:
            block = self._values[k:k + BLOCK]
            if block.ndim == 2:
                cols = block.T  # (groups, steps), a strided view
            else:
                cols = block[None, :]
        else:
            assert self._schedules is not None
            m = min(BLOCK, _INT64_MAX - k + 1)
            if self._kind == "schedule":
                cols = self._schedules[0].array(m, start=k)[None, :]
            else:
                cols = np.empty((n_groups, m))
                for g, s in enumerate(self._schedules):
                    s.fill(cols[g], start=k)
        if self.mode == "relative":
            bases = np.array([float(b) for b in self.base_lrs])
            return (cols * bases[:, None]).tolist()
        lists = cols.tolist()
        return lists if len(lists) == n_groups else lists * n_groups

    def _load(self, k: int) -> int:
        """Make the block cache hold step ``k``; return ``k``'s index in it. Past the end of an
        array: the held last values (or IndexError with on_end='raise'), nothing changed."""
        if self._values is not None and k >= self._values.shape[0]:
            n = self._values.shape[0]
            if self.on_end == "raise":
                raise IndexError(f"step {k} is past the end of the {n}-step schedule array "
                                 f"(on_end='raise')")
            if self._held is None:
                self._held = [col[-1:] for col in self._columns(n - 1)]
            self._cols, self._block_start, self._block_len = self._held, k, 1
            return 0
        cols = self._columns(k)
        self._cols, self._block_start, self._block_len = cols, k, len(cols[0])
        return 0

    def _row(self, k: int) -> List[float]:
        i = k - self._block_start
        if not 0 <= i < self._block_len:
            i = self._load(k)
        return [col[i] for col in self._cols]

    # ------------------------------------------------------------------ torch's scheduler hooks
    def _update_lr(self, epoch: Optional[int] = None) -> None:
        if epoch is None:
            k = self.last_epoch + 1
        else:
            k = operator.index(epoch)
            if k < 0:
                raise ValueError(f"epoch must be >= 0, got {k}")
        i = k - self._block_start
        if not 0 <= i < self._block_len:
            i = self._load(k)  # may raise (on_end='raise'): nothing has changed yet
        self.last_epoch = k
        for group, col in zip(self.optimizer.param_groups, self._cols):
            lr = group["lr"]
            if type(lr) is not float and isinstance(lr, torch.Tensor):
                lr.fill_(col[i])
            else:
                group["lr"] = col[i]

    def get_lr(self) -> List[Any]:
        """The rates of step ``last_epoch`` (what ``step()`` sets), as floats or as tensors of each
        group's lr dtype."""
        return self._typed(self._row(self.last_epoch))

    def _get_closed_form_lr(self) -> List[Any]:
        return self.get_lr()

    def get_last_lr(self) -> List[Any]:
        """The rates this scheduler set last (those of step ``last_epoch``): Python floats for
        float lrs, new tensors (never aliasing the optimizer's) for tensor lrs."""
        return self._typed(self._row(self.last_epoch))

    @property
    def _last_lr(self) -> List[Any]:  # read by some callers of torch schedulers
        return self.get_last_lr()

    def _typed(self, row: Sequence[float]) -> List[Any]:
        out: List[Any] = []
        for group, value in zip(self.optimizer.param_groups, row):
            lr = group["lr"]
            if isinstance(lr, torch.Tensor):
                out.append(torch.full_like(lr, value))
            else:
                out.append(value)
        return out

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """``last_epoch``, ``_step_count``, ``base_lrs``, ``mode``, ``on_end`` and ``schedule`` (the
        schedule's ``to_dict()``, or ``{"kind": "array", "length": n, "sha256": ...}``)."""
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": [b.clone() if isinstance(b, torch.Tensor) else b for b in self.base_lrs],
            "mode": self.mode,
            "on_end": self.on_end,
            "schedule": self._source_state(),
        }

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` and set every group's lr to the restored step's value."""
        if not isinstance(state_dict, dict) or "schedule" not in state_dict:
            raise ValueError("state_dict is not a ScheduleLR state (it has no 'schedule' entry)")
        spec = state_dict["schedule"]
        kind = spec.get("kind") if isinstance(spec, dict) else None
        n_groups = len(self.optimizer.param_groups)
        if kind == "array":
            if self._values is None:
                raise ValueError("the checkpoint's schedule is an array (stored by its checksum "
                                 "only): construct ScheduleLR with that same array to resume")
            mine = self._source_state()
            if (mine.get("length"), mine.get("groups"), mine["sha256"]) != \
                    (spec.get("length"), spec.get("groups"), spec.get("sha256")):
                raise ValueError(
                    f"the checkpoint's schedule array (length={spec.get('length')}, "
                    f"sha256={spec.get('sha256')}) is not the array given to this ScheduleLR "
                    f"(length={mine['length']}, sha256={mine['sha256']})")
        elif kind == "schedule":
            self._set_source(fastlr.from_dict(spec["schedule"]), n_groups)
        elif kind == "schedules":
            self._set_source([fastlr.from_dict(d) for d in spec["schedules"]], n_groups)
        else:
            raise ValueError(f"unknown schedule kind in state_dict: {kind!r}")
        mode, on_end = state_dict.get("mode", self.mode), state_dict.get("on_end", self.on_end)
        if mode not in _MODES or on_end not in _ON_END:
            raise ValueError(f"bad mode/on_end in state_dict: {mode!r}, {on_end!r}")
        self.mode, self.on_end = mode, on_end
        self.base_lrs = list(state_dict.get("base_lrs", self.base_lrs))
        self._step_count = state_dict.get("_step_count", self._step_count)
        self._clear_cache()  # the values depend on the restored source and base_lrs
        self.last_epoch = state_dict["last_epoch"] - 1
        self._update_lr()
