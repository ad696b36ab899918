"""timm's scheduler classes without ``timm/__init__.py`` (which imports torchvision, whose
operators do not load beside the CPU torch build here): the packages ``timm`` and
``timm.scheduler`` are stubbed with their real paths, then the scheduler modules are imported.
Shared by generate.py, tests/test_compat_timm.py and bench/compat_speed.py."""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

CLASSES = [("cosine_lr", "CosineLRScheduler"), ("tanh_lr", "TanhLRScheduler"),
           ("step_lr", "StepLRScheduler"), ("multistep_lr", "MultiStepLRScheduler"),
           ("poly_lr", "PolyLRScheduler"), ("wsd_lr", "WSDLRScheduler")]


def load_timm_schedulers() -> dict:
    """{class name: class} for the schedulers the installed timm has; ImportError without timm."""
    spec = importlib.util.find_spec("timm")
    if spec is None:
        raise ImportError("timm is not installed: pip install timm --no-deps")
    root = Path(list(spec.submodule_search_locations)[0])
    for name, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.__path__ = [str(path)]
            sys.modules[name] = stub
    found = {}
    for sub, cls in CLASSES:
        try:
            found[cls] = getattr(importlib.import_module(f"timm.scheduler.{sub}"), cls)
        except (ImportError, AttributeError):
            pass  # an older timm without this scheduler
    return found
