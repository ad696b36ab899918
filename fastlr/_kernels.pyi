"""Type stubs for the compiled kernels (fastlr/_kernels.pyx and its AVX2/AVX-512 copies)."""
from typing import Dict, Sequence, TypeVar

import numpy as np
import numpy.typing as npt

_Out = TypeVar("_Out", bound=np.ndarray)

ISA: str
NDBL: int
TABLE: int
BLOCK: int

class Family:
    CONST: int
    LINEAR: int
    EXP: int
    PLATEAU: int
    COS2: int
    POLY: int
    INVTIME: int
    TRI: int

class Column:
    BEGIN: int
    OFFSET: int
    FAMILY: int
    TAB: int
    I0: int
    I1: int
    I2: int
    NI: int

def cpu_features() -> Dict[str, bool]: ...
def openmp_enabled() -> bool: ...
def angle_tables(w: float) -> npt.NDArray[np.float64]: ...
def exp_tables(rate: float) -> npt.NDArray[np.float64]: ...
def power_tables(gamma: float) -> npt.NDArray[np.float64]: ...

class Plan:
    """A compiled schedule: segment tables plus rotation/power tables. Immutable."""
    iseg: npt.NDArray[np.int64]
    dseg: npt.NDArray[np.float64]
    tables: npt.NDArray[np.float64]
    def __init__(self, iseg: npt.NDArray[np.int64], dseg: npt.NDArray[np.float64],
                 tables: npt.NDArray[np.float64]) -> None: ...
    @property
    def n_segments(self) -> int: ...
    def value(self, t: int) -> float: ...
    def fill(self, out: _Out, start: int = ...) -> _Out: ...
    def gather(self, steps: npt.NDArray[np.int64], out: npt.NDArray[np.float64]) -> int: ...

def sweep_fill(plans: Sequence[Plan], out: _Out, start: int = ..., threads: int = ...) -> _Out: ...
def sweep_reduce_rows(plans: Sequence[Plan], res: npt.NDArray[np.float64], start: int, n: int,
                      chunk: int, scratch: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
