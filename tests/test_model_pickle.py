"""Parsed items travel between processes and into the cache pickled: they must come back equal."""

from __future__ import annotations

import pickle
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from inloop import model
from inloop.build.builder import Builder

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MODEL_CLASSES = [
    model.Component,
    model.FileMeta,
    model.Update,
    model.PreventionStep,
    model.Incident,
    model.Maintenance,
    model.SiteConfig,
    model.Content,
]


def test_every_item_of_the_example_comes_back_equal_with_its_derived_fields(example_copy: Path) -> None:
    loaded = Builder(example_copy, example_copy / "site", cache_dir=None).load(NOW)
    assert loaded.config.config is not None
    for value in [loaded.config.config, loaded.content, *loaded.content.incidents, *loaded.content.maintenance]:
        back = pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        assert back == value
        for found in fields(value):
            assert getattr(back, found.name) == getattr(value, found.name), found.name


def test_each_model_class_is_pickled_as_a_tuple_of_its_fields() -> None:
    update = model.Update(NOW, "Investigating", "Investigating", "We look.", "<p>We look.</p>", 7, "update-1")
    assert update.__getstate__() == tuple(getattr(update, f.name) for f in fields(update))
    for cls in MODEL_CLASSES:
        assert cls.__getstate__.__qualname__.startswith("pickled_as_tuples"), cls.__name__
