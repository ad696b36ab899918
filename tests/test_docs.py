"""The examples in the docstrings run and print what they say."""
import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["fastlr", "fastlr.sweep"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result
