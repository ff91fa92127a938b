"""Writes of 活动与人才: events and their registrations and attendance, training classes and their
trainees' outcome, skill certifications.

Each write takes ``acting_user``, runs in one transaction and writes its audit entry
(``object_type="activity.<entity>"``, ``payload={"before", "after"}``) in that transaction. Bad
input raises ``ApplicationError`` whose message names the field (``field=`` the argument's name).

Who may write is decided by ``shuzhuan.accounts.access``: the role must hold
``Perm.ACTIVITY_MANAGE`` and the record's region must lie within the user's region (a town officer
keeps their own town's events, classes and certifications; the bureau the whole county). An
enterprise named on a record must be one the user may see. ``acting_user`` None is the system (the
CLI operator, the demo loader): bound by the rules, not by roles.
"""

from __future__ import annotations

from shuzhuan.activities.services.certifications import certification_record
from shuzhuan.activities.services.events import attendance_set, event_create, event_update, registration_add
from shuzhuan.activities.services.training import trainee_add, trainee_outcome_set, training_class_create

__all__ = [
    "attendance_set",
    "certification_record",
    "event_create",
    "event_update",
    "registration_add",
    "trainee_add",
    "trainee_outcome_set",
    "training_class_create",
]
