"""The service's HTML pages, made with the site's own templates so they look like the status page.

The site's ``templates/`` folder overrides the theme here as in a build; the
pages link the site's home page and subscribe page, and the stylesheet the
service serves itself (the same file a build writes).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from inloop.render.feeds import language_tag
from inloop.render.pages import Planner, component_feeds, make_state
from inloop.render.templates import Templates

from .. import i18n
from ..model import Content, SiteConfig
from .settings import language_choices as language_choices

TEMPLATE = "subscription.html"


def stylesheet(templates: Templates) -> tuple[str, bytes]:
    """The theme's stylesheet under the name a build gives it."""
    data = templates.source("style.css")[0].encode("utf-8")
    return f"style.{hashlib.sha256(data).hexdigest()[:10]}.css", data


@dataclass
class Views:
    """Renders :data:`TEMPLATE` in any language the service offers."""

    source: Path
    config: SiteConfig
    _by_language: dict[str, tuple[Templates, NullTranslations, Planner]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def translations(self, language: str) -> NullTranslations:
        return self._for(language)[1]

    def _for(self, language: str) -> tuple[Templates, NullTranslations, Planner]:
        with self._lock:
            found = self._by_language.get(language)
            if found is None:
                translations = i18n.translations(language, self.source)
                templates = Templates(self.source, ".", translations)
                css_name, _ = stylesheet(templates)
                state = make_state(self.config, Content((), ()), datetime.now(UTC), css_name)
                found = (templates, translations, Planner(state, templates, translations))
                self._by_language[language] = found
            return found

    def css(self) -> tuple[str, bytes]:
        return stylesheet(self._for(self.config.language)[0])

    def render(self, language: str, service_url: str, path: str, values: dict[str, Any]) -> bytes:
        templates, _, planner = self._for(language)
        config = self.config
        root = config.base_url
        context = planner.context("index.html", **values)
        context.update(
            lang=language_tag(language),
            root=root,
            path=path,
            canonical=service_url + path,
            css=service_url + planner.state.stylesheet,
            js=root + planner.script,
            favicon={"href": planner.favicon.href(root), "mime": planner.favicon.mime},
            noindex=True,
            component_feeds=component_feeds,
        )
        return templates.render(TEMPLATE, context).encode("utf-8")
