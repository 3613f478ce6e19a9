"""Tests of ``inloop watch`` and ``inloop serve`` (issue 4).

A package, so that its module names (``test_serve``, ``test_filter``, ...) never
clash with test modules of the same name elsewhere under ``tests/``.
"""

import pytest

# the helpers' asserts explain themselves too (a diff, not a bare AssertionError)
pytest.register_assert_rewrite("watch.support")
