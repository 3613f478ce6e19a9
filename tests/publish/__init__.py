"""Tests of ``inloop publish`` (issue 9): the plan, folders, and a real S3 server.

A package, so that its module names never clash with test modules elsewhere.
"""
