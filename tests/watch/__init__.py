"""Tests of ``inloop watch`` and ``inloop serve`` (issue 4).

A package, so that its module names (``test_serve``, ``test_filter``, ...) never
clash with test modules of the same name elsewhere under ``tests/``.
"""
