"""The suite's pytest setup: third-party modules are imported as they are, never rewritten."""

import importlib
import sys

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook

# Each ships a pytest plugin, so with plugin autoloading pytest would rewrite all its modules,
# including those first imported in the middle of a test (see addopts in pyproject.toml).
THIRD_PARTY = ["schemathesis.specs.openapi.checks", "hypothesis.extra.dateutil", "anyio.abc"]


@pytest.mark.parametrize("name", THIRD_PARTY)
def test_a_plugin_shipping_package_is_not_rewritten_for_assertions(name: str) -> None:
    module = importlib.import_module(name)

    assert not isinstance(module.__loader__, AssertionRewritingHook)


def test_our_test_modules_are_still_rewritten() -> None:
    assert isinstance(sys.modules[__name__].__loader__, AssertionRewritingHook)
