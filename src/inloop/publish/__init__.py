"""``inloop publish DEST``: put a built site in a folder or an S3-compatible bucket.

Independent of how the site was built: give it the output folder.

- :mod:`.plan`: pure decisions (what changed, upload order, headers);
- :mod:`.stores`: a folder or an S3 bucket behind one small protocol;
- :mod:`.run`: carries a plan out, concurrently, with a progress bar;
- :mod:`.settings`: ``[publish]`` from ``inloop.toml`` (never secrets).
"""

from .plan import MANIFEST_KEY, PENDING_KEY, Phase, cache_control, content_type, phase_of
from .report import PublishReport
from .run import publish_site, publish_to_store
from .settings import PublishSettings, SettingError
from .stores import PublishError

__all__ = [
    "MANIFEST_KEY",
    "PENDING_KEY",
    "Phase",
    "PublishError",
    "PublishReport",
    "PublishSettings",
    "SettingError",
    "cache_control",
    "content_type",
    "phase_of",
    "publish_site",
    "publish_to_store",
]
