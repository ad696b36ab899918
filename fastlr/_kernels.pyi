"""Type stubs for the compiled kernels (fastlr/_kernels.pyx and its AVX2/AVX-512 copies)."""
from typing import Dict, Sequence, Tuple, TypeVar

import numpy as np
import numpy.typing as npt

_Out = TypeVar("_Out", bound=np.ndarray)

import enum

ISA: str
BLOCK: int
N_INT_COLUMNS: int
N_FLOAT_COLUMNS: int

class Family(enum.IntEnum):
    CONST = 0
    LINEAR = 1
    EXP = 2
    PLATEAU = 3
    COS2 = 4
    POLY = 5
    INVTIME = 6
    TRI = 7
    TANH = 8
    SHAPE = 9
    PRODUCT = 10
    CYCPOLY = 11

class Op(enum.IntEnum):
    OP_PRODUCT = 0
    OP_SUM = 1
    OP_MAX = 2
    OP_POWER = 3

class Column(enum.IntEnum):
    BEGIN = 0
    OFFSET = 1
    FAMILY = 2
    TAB = 3
    INTS = 4

def family_layout() -> Dict[Family, Tuple[Tuple[str, ...], Tuple[str, ...]]]: ...
def check_output(out: _Out, ndim: int = ..., name: str = ...) -> _Out: ...
def check_window(start: int, n: int) -> None: ...
def cpu_features() -> Dict[str, bool]: ...
def openmp_enabled() -> bool: ...
def angle_tables(w: float) -> npt.NDArray[np.float64]: ...
def exp_tables(rate: float) -> npt.NDArray[np.float64]: ...
def power_tables(gamma: float) -> npt.NDArray[np.float64]: ...

class Plan:
    """A compiled schedule: the segment tables the interpreter walks. Immutable, checked."""
    iseg: npt.NDArray[np.int64]
    dseg: npt.NDArray[np.float64]
    tables: npt.NDArray[np.float64]
    def __init__(self, iseg: npt.NDArray[np.int64], dseg: npt.NDArray[np.float64],
                 tables: npt.NDArray[np.float64]) -> None: ...
    @property
    def n_segments(self) -> int: ...
    def value(self, t: int) -> float: ...
    def fill(self, out: _Out, start: int = ...) -> _Out: ...
    def gather(self, steps: npt.NDArray[np.int64], out: npt.NDArray[np.float64]) -> None: ...

def sweep_fill(plans: Sequence[Plan], out: _Out, start: int = ..., threads: int = ...) -> _Out: ...
def sweep_reduce_rows(plans: Sequence[Plan], res: npt.NDArray[np.float64], start: int, n: int,
                      chunk: int, scratch: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
