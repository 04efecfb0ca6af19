"""Every write of the safety app: reports, their timeline, followers, partner API keys.

Each service is atomic, validates before it saves and anchors what must stay provable in the
same transaction (`safety.report`, one version per meaningful change). Anchored data holds no
personal data: no reporter, no contact, no free text — only digests of the text and photos.
"""

from .anchoring import ANCHOR_KIND, report_envelope_data
from .api_keys import api_key_create, api_key_hash
from .checks import answers_check, location_check, photo_policy, photos_check
from .map_cells import MAP_VERSION_KEY, map_cells_move, map_cells_rebuild, map_version_renew
from .reports import MAX_DESCRIPTION, report_assign, report_create, report_follow
from .rewards import REWARD_SOURCE, reward_policy
from .workflow import TRANSITIONS, report_transition, update_mark_notified

__all__ = [
    "ANCHOR_KIND",
    "MAP_VERSION_KEY",
    "MAX_DESCRIPTION",
    "REWARD_SOURCE",
    "TRANSITIONS",
    "answers_check",
    "api_key_create",
    "api_key_hash",
    "location_check",
    "map_cells_move",
    "map_cells_rebuild",
    "map_version_renew",
    "photo_policy",
    "photos_check",
    "report_assign",
    "report_create",
    "report_envelope_data",
    "report_follow",
    "report_transition",
    "reward_policy",
    "update_mark_notified",
]
