"""The one write path of petitions. Every step validates, writes in one transaction, adds the
case's timeline event and records the audit event (anxin.core.audit) in that transaction.

Steps are keyword-only functions ``petition_<verb>(*, actor, petition, version=None, ...)``;
``actor=None`` is the public (portal, Open311) or the system (daily tasks).
"""

from anxin.petitions.services._common import (  # noqa: F401
    QUERY_ALPHABET,
    StateConflict,
    action_label,
    query_digest,
    today,
)
from anxin.petitions.services.dispatch import *  # noqa: F401,F403
from anxin.petitions.services.followup import *  # noqa: F401,F403
from anxin.petitions.services.handling import *  # noqa: F401,F403
from anxin.petitions.services.hazards import petition_to_hazard  # noqa: F401
from anxin.petitions.services.intake import *  # noqa: F401,F403
from anxin.petitions.services.plan import *  # noqa: F401,F403
from anxin.petitions.services.voice import *  # noqa: F401,F403
