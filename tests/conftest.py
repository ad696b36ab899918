"""pytest configuration for the fastlr suite.

Run from the repository root with ``python -m pytest tests -q`` so that the in-place build of
fastlr (``python setup.py build_ext --inplace``) is the one imported.
"""
import os
import warnings

from hypothesis import HealthCheck, settings

# When a property fails, hypothesis imports its patch writer (hypothesis.extra._patching), which
# imports libcst; in some environments that import emits a DeprecationWarning (mypy_extensions),
# which filterwarnings=error turns into a pytest INTERNALERROR that hides the real failure. Import
# it once here, quietly, so a failing property is reported as a normal failure.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:
        import hypothesis.extra._patching  # noqa: F401
    except Exception:  # pragma: no cover - optional dependency missing: nothing to pre-import
        pass

# deadline=None: the first call of a kernel, mpmath at 40 digits and the GC make single examples
# slow now and then; the suite has no timing assertions. Each property sets its max_examples via
# helpers.examples(n); FASTLR_TEST_SCALE=k multiplies them for a longer hunt.
settings.register_profile(
    "fastlr", deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# CI (CI=true): the same examples on every run, so a submission is judged on a fixed set; the
# random search runs on developers' machines (and with FASTLR_TEST_SCALE) where a find is welcome.
settings.register_profile("ci", parent=settings.get_profile("fastlr"), derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "fastlr"))
