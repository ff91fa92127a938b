"""Reading the audit trail about one object."""

from __future__ import annotations

import pytest

from shuzhuan.audit.selectors import audit_entries_for_object
from shuzhuan.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_entries_for_one_object_newest_first_and_limited() -> None:
    for n in range(5):
        audit_record(actor=None, action="thing.step", object_type="thing", object_id="A", payload={"n": n})
    audit_record(actor=None, action="thing.step", object_type="thing", object_id="B")
    audit_record(actor=None, action="other.step", object_type="other", object_id="A")

    entries = list(audit_entries_for_object(object_type="thing", object_id="A", limit=3))
    assert [e.payload["n"] for e in entries] == [4, 3, 2]
    assert len(audit_entries_for_object(object_type="thing", object_id="A")) == 5
    assert not audit_entries_for_object(object_type="thing", object_id="C").exists()
