"""The status embed: what ``embed.js`` shows in another site's page, read from the ``embed/`` page.

Many static hosts send no CORS headers, so a host page cannot fetch the
status from another origin.  ``embed.js`` therefore loads ``embed/`` in a
hidden frame; the site's own script (``inloop.js``) posts the message written
into that page (``data-message`` of ``#inloop-status``) to its parent, which
checks the sender's origin and the message's shape before it shows anything.
The page also reads on its own, without any script, for those who embed it
with an ``<iframe>``.

Pure functions of the content, the build time and the translations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from inloop.model import ComponentStatus, Content, Incident, SiteConfig
from inloop.render import status as derive
from inloop.render.status import Item

#: The script a host page loads, made from the theme's template of that name.
SCRIPT_PATH = "embed.js"
#: The page it reads, which ``<iframe>`` users show as it is; also the name of its template.
PAGE_PATH = "embed/index.html"
#: What the message says it is, so that a host page ignores every other message.
MESSAGE_TYPE = "inloop-status"
MESSAGE_VERSION = 1


def open_items(content: Content, now: datetime) -> list[Item]:
    """Open incidents and maintenance in progress, the most severe first.

    Incidents come before maintenance, by impact, then the latest started
    first; maintenance windows by their start.
    """
    incidents = sorted(
        derive.unresolved(content),
        key=lambda incident: (-incident.impact.rank, -incident.start.timestamp(), incident.id),
    )
    return [*incidents, *derive.maintenance_in_progress(content, now)]


def item_state(item: Item, now: datetime) -> str:
    """``Investigating``, ``In progress``, ...: the state an open item is in, untranslated."""
    return item.status if isinstance(item, Incident) else item.state(now)


def message(
    config: SiteConfig,
    overall: ComponentStatus,
    items: Sequence[Item],
    now: datetime,
    gettext: Callable[[str], str],
    item_path: Callable[[Item], str],
) -> dict[str, Any]:
    """The status posted to the host page: only what the status page shows anyone anyway.

    ``item`` is the most severe open incident or maintenance, or None when
    there is none (the script then shows nothing); its ``path`` is relative
    to the site's root, which the script takes from its own address.
    """
    first = items[0] if items else None
    return {
        "type": MESSAGE_TYPE,
        "version": MESSAGE_VERSION,
        "lang": config.language.replace("_", "-"),
        "label": config.title,
        "status": str(overall),
        "text": gettext(derive.OVERALL_SENTENCES[overall]),
        "dismiss": gettext("Dismiss"),
        "item": None
        if first is None
        else {
            "kind": first.kind,
            "id": first.id,
            "title": first.title,
            "state": gettext(item_state(first, now)),
            "path": item_path(first),
        },
    }
