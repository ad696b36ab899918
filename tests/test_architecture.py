"""The architecture's rules, checked on the source: modules meet only through public names, and a
schedule family is declared in every place it must be (registry, numpy reference, exact oracle,
benchmark cases, README table, digests)."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import fastlr
from fastlr import plan
from fastlr._dispatch import kernels

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "fastlr"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "bench"))

# The one sanctioned underscore import: the compiled kernels through the dispatch module.
ALLOWED = {("fastlr._dispatch", "kernels"), ("fastlr", "_kernels")}
# Attributes that are a schedule class's own protocol (declared by subclasses, read by the base).
PROTOCOL = {"_fields", "_aliases", "_init", "_params", "_from_params", "_registry_key",
            "_replace", "_asdict"}  # the last two: NamedTuple's public API


def _sources():
    return sorted(p for p in PKG.rglob("*.py"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def underscore_imports(path: Path) -> list:
    """(line, what) for each import of an underscore name from another fastlr module."""
    tree = ast.parse(path.read_text(), str(path))
    me = _module_name(path)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "fastlr":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                parts = node.module.split(".") + [alias.name]
                if (node.module, alias.name) in ALLOWED or node.module == me:
                    continue
                if any(_private(p) for p in parts):
                    bad.append((node.lineno, full))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fastlr" and any(
                        _private(p) for p in alias.name.split(".")):
                    bad.append((node.lineno, alias.name))
    return bad


def foreign_private_attributes(path: Path) -> list:
    """(line, attribute) for each ``x._name`` where x is not ``self``/``cls``/``type(self)`` and
    the name is not part of the schedule-class protocol or defined in this same module."""
    src = path.read_text()
    tree = ast.parse(src, str(path))
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    own |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Name)}
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in PROTOCOL:
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) \
                    and base.func.id == "type":
                continue
            if node.attr in own:
                continue
            bad.append((node.lineno, ast.unparse(node)))
    return bad


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_another_modules_underscore_names(path):
    assert underscore_imports(path) == []


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_reaches_into_private_attributes(path):
    assert foreign_private_attributes(path) == []


def test_the_import_check_can_fail(tmp_path):
    bad = PKG / "_architecture_probe_tmp.py"
    try:
        bad.write_text("from fastlr.sweep import _SERIAL_BELOW\nfrom fastlr._dispatch import kernels\n"
                       "import fastlr._kernels\nx = kernels._private_thing\n")
        assert [w for _, w in underscore_imports(bad)] == ["fastlr.sweep._SERIAL_BELOW",
                                                          "fastlr._kernels"]
        assert [w for _, w in foreign_private_attributes(bad)] == ["kernels._private_thing"]
    finally:
        bad.unlink()


# ------------------------------------------------------------------------------ families


def test_family_enum_and_layout_are_one_declaration():
    layout = kernels.family_layout()
    assert set(layout) == set(kernels.Family) == set(plan.FAMILIES)
    for fam, (floats, ints) in layout.items():
        spec = plan.FAMILIES[fam]
        assert (spec.floats, spec.ints) == (floats, ints)
        assert set(spec.values) <= set(floats)
        assert len(floats) <= kernels.N_FLOAT_COLUMNS
        assert kernels.Column.INTS + len(ints) <= kernels.N_INT_COLUMNS


def test_type_stub_lists_the_compiled_enums():
    """fastlr/_kernels.pyi (what editors and type checkers see) names every Family and Op member
    with its compiled value."""
    stub = (Path(fastlr.__file__).parent / "_kernels.pyi").read_text()
    for enum_cls in (kernels.Family, kernels.Op):
        body = re.search(rf"^class {enum_cls.__name__}\(enum.IntEnum\):\n((?:    .*\n)+)", stub,
                         re.M)
        assert body, enum_cls.__name__
        declared = dict(re.findall(r"^    (\w+) = (\d+)$", body.group(1), re.M))
        assert declared == {m.name: str(int(m)) for m in enum_cls}, enum_cls.__name__


def test_segments_are_built_by_name():
    with pytest.raises(TypeError, match="missing"):
        plan.segment(kernels.Family.EXP, lr=0.1)
    with pytest.raises(TypeError, match="unknown"):
        plan.segment(kernels.Family.CONST, value=1.0, lr=2.0)
    with pytest.raises(ValueError):
        plan.segment(99, value=1.0)


def _builtin_classes():
    return {k: c for k, c in fastlr.schedule_classes().items() if c.__module__.startswith("fastlr")}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def missing_declarations(classes: dict) -> dict:
    """For each place a schedule class must be declared, the classes it lacks."""
    import cases as bench_cases
    import exact
    import test_digests

    from fastlr import reference

    compositions = {"Join", "WithWarmup", "Scaled", "Shifted", "Product", "Sum", "Maximum",
                    "Offset"}
    families = set(classes) - compositions
    # Product, Sum, Maximum run the PRODUCT kernel (Offset is a sum with a constant)
    kernels_of_their_own = families | ({"Product", "Sum", "Maximum"} & set(classes))
    refs = {n for n in reference.__all__ if n != "evaluate"}
    benched = {type(c.schedule(10**6)).__name__ for c in bench_cases.CASES}
    readme = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\| `([A-Z][A-Za-z]+)\(", readme, flags=re.M))
    digested = {type(s).__name__ for s in test_digests.CASES.values()}
    missing = {
        "fastlr/reference.py": {n for n in classes if _snake(n) not in refs},
        "tests/exact.py _BUILDERS": set(classes) - set(exact.oracle_names()),
        "bench/cases.py": kernels_of_their_own - benched,
        "README.md table": families - rows,
        "tests/test_digests.py": set(classes) - digested,
    }
    return {k: sorted(v) for k, v in missing.items() if v}


def test_every_family_is_declared_everywhere():
    """Adding a schedule class means: the class, its numpy reference, its exact oracle, a benchmark
    case, a README row and a digest case (CONTRIBUTING.md, "Adding a schedule family")."""
    classes = _builtin_classes()
    assert missing_declarations(classes) == {}
    extra_refs = {n for n in __import__("fastlr.reference").reference.__all__} - {"evaluate"}
    assert extra_refs <= {_snake(n) for n in classes}, "a reference without a class"


def test_the_completeness_check_sees_a_missing_family():
    classes = dict(_builtin_classes(), BrandNewFamily=object)
    assert missing_declarations(classes) == {k: ["BrandNewFamily"] for k in (
        "fastlr/reference.py", "tests/exact.py _BUILDERS", "bench/cases.py", "README.md table",
        "tests/test_digests.py")}


def _hand_plan(family, ints=(), floats=(0.1,), tab=0, tables=None):
    iseg = np.zeros((1, kernels.N_INT_COLUMNS), dtype=np.int64)
    iseg[0, kernels.Column.FAMILY] = family
    iseg[0, kernels.Column.TAB] = tab
    iseg[0, kernels.Column.INTS:kernels.Column.INTS + len(ints)] = ints
    dseg = np.zeros((1, kernels.N_FLOAT_COLUMNS))
    dseg[0, :len(floats)] = floats
    return kernels.Plan(iseg, dseg, np.zeros(1) if tables is None else tables)


@pytest.mark.parametrize("family,ints,tab,match", [
    (99, (), 0, "unknown family code 99"),
    (-1, (), 0, "unknown family code -1"),
    (kernels.Family.PLATEAU, (0, 0), 0, "size >= 1"),
    (kernels.Family.EXP, (), 5, "tables needed"),
    (kernels.Family.COS2, (0,), 0, "tables needed"),
    (kernels.Family.TRI, (1, 0, 0), 0, "TRI needs"),
    (kernels.Family.POLY, (10, 7, 0, 0), 0, "POLY needs"),
    (kernels.Family.CYCPOLY, (0, 1, 1), 0, "CYCPOLY needs"),
    (kernels.Family.CYCPOLY, (5, 3, 0), 0, "CYCPOLY needs"),
    (kernels.Family.CYCPOLY, (5, 1, 17), 0, "CYCPOLY needs"),
])
def test_a_hand_built_plan_is_checked_before_any_kernel_runs(family, ints, tab, match):
    with pytest.raises(ValueError, match=match):
        _hand_plan(family, ints, tab=tab)


def test_a_reversed_power_law_refuses_a_real_offset():
    # u = anchor - tau has no fraction: the kernel's reverse path (pow near x = 1 through log1p of
    # the exact integer distance) would ignore it
    with pytest.raises(ValueError, match="frac"):
        _hand_plan(kernels.Family.POLY, (10, 0, 1, 0), floats=(0.0, 1.0, 10.0, 0.5, 0.25))
    _hand_plan(kernels.Family.POLY, (0, 0, 0, 0), floats=(0.0, 1.0, 10.0, -0.5, 0.25))


def test_a_plan_copies_its_tables():
    iseg = np.zeros((1, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((1, kernels.N_FLOAT_COLUMNS))
    dseg[0, 0] = 0.5
    p = kernels.Plan(iseg, dseg, np.zeros(1))
    iseg[0, kernels.Column.FAMILY] = 99   # changing the caller's arrays changes nothing
    dseg[0, 0] = 7.0
    assert p.value(3) == 0.5 and not p.iseg.flags.writeable
