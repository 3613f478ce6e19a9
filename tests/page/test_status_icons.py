"""The theme's five status signs: each its own shape, with a title, hidden from screen readers
(the words beside them say the status)."""

from __future__ import annotations

import re
from gettext import NullTranslations
from pathlib import Path

from inloop.model import ComponentStatus
from inloop.render.templates import Templates


def test_each_status_has_its_own_shape(tmp_path: Path) -> None:
    env = Templates(tmp_path, ".", NullTranslations()).env
    macro = env.from_string('{% from "_macros.html" import icon %}{{ icon(status, label) }}')
    shapes = {}
    for status in ComponentStatus:
        svg = macro.render(status=str(status), label=f"label {status}")
        assert f"<title>label {status}</title>" in svg
        assert 'aria-hidden="true"' in svg and 'class="icon icon-' in svg
        shapes[status] = re.sub(r"<title>.*?</title>|class=\"icon [^\"]*\"", "", svg)
    assert len(shapes) == 5
    assert len(set(shapes.values())) == 5
