"""The hash-chained audit trail: recording, and finding the first entry that was tampered with."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from shuzhuan.accounts.models import Role, User
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.audit.models import AuditChainHead, AuditEntry
from shuzhuan.audit.services import GENESIS, audit_record, audit_verify, entry_digest
from shuzhuan.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain() -> list[AuditEntry]:
    """Five entries (and nothing else in the trail)."""
    AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()
    return [
        audit_record(actor=None, action="test.step", object_type="thing", object_id=n, payload={"n": n})
        for n in range(1, 6)
    ]


def test_entries_are_numbered_and_chained(chain: list[AuditEntry]) -> None:
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS
    for earlier, later in itertools.pairwise(chain):
        assert later.prev_hash == earlier.hash
    assert len({e.hash for e in chain}) == 5
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, chain[-1].hash)


def test_actor_and_payload_are_recorded(chain: list[AuditEntry]) -> None:
    user: User = make_user(Role.BUREAU_OFFICER, username="recorder")
    entry = audit_record(
        actor=user,
        action="enterprise.update",
        object_type="enterprise",
        object_id=42,
        reason="更正营业收入",
        payload={"revenue": Decimal("1234.50"), "date": date(2025, 6, 30), "名称": "慈溪市甲汽配有限公司"},
    )
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_username, entry.object_id) == (user.pk, "recorder", "42")
    # Stored as plain JSON, so the hash can be recomputed from what the database gives back.
    assert entry.payload == {"revenue": "1234.50", "date": "2025-06-30", "名称": "慈溪市甲汽配有限公司"}
    assert audit_record(actor=None, action="cli.job").actor_username == "system"
    assert audit_verify().ok


def test_an_intact_chain_verifies(chain: list[AuditEntry]) -> None:
    result = audit_verify()
    assert (result.ok, result.checked, result.first_bad_seq, result.problem) == (True, 5, None, "")


def test_an_empty_trail_verifies(db: None) -> None:
    AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()
    assert audit_verify().ok


def test_a_changed_payload_is_named(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=3).update(payload={"n": 300})
    result = audit_verify()
    assert not result.ok
    assert (result.first_bad_seq, result.checked) == (3, 2)
    assert result.problem == "entry #3 was changed"


@pytest.mark.parametrize(
    "change",
    [
        {"action": "test.other"},
        {"actor_username": "someone"},
        {"object_id": "999"},
        {"reason": "后补"},
    ],
)
def test_any_changed_field_is_named(chain: list[AuditEntry], change: dict[str, str]) -> None:
    AuditEntry.objects.filter(seq=2).update(**change)
    result = audit_verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_a_rehashed_entry_breaks_the_link_to_the_next(chain: list[AuditEntry]) -> None:
    """Changing an entry and recomputing its hash still shows: the next entry points at the old hash."""
    e = chain[1]
    payload = {"n": 200}
    e.payload = payload
    digest = entry_digest(e)
    AuditEntry.objects.filter(seq=2).update(payload=payload, hash=digest)
    result = audit_verify()
    assert (result.ok, result.checked, result.first_bad_seq) == (False, 2, 3)
    assert result.problem == "entry #3 does not follow its predecessor"


def test_a_deleted_entry_is_named(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=2).delete()
    result = audit_verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert result.problem == "entry #2 is missing"


def test_a_deleted_first_entry_is_named(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=1).delete()
    result = audit_verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 1, "entry #1 is missing")


def test_a_deleted_last_entry_is_named(chain: list[AuditEntry]) -> None:
    """Nothing after it points at it, but the head row still counts it."""
    AuditEntry.objects.filter(seq=5).delete()
    result = audit_verify()
    assert (result.ok, result.checked, result.first_bad_seq) == (False, 4, 5)
    assert result.problem == "entry #5 was removed"


def test_the_last_entries_deleted_together_are_named_from_the_first(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq__gte=3).delete()
    result = audit_verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "entry #3 was removed")


def test_a_rewritten_last_entry_is_caught_by_the_head(chain: list[AuditEntry]) -> None:
    """Rewriting the newest entry with a recomputed hash leaves the chain intact — not the head."""
    last = chain[-1]
    AuditEntry.objects.filter(seq=5).delete()
    head = AuditChainHead.objects.get()
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=4, last_hash=chain[3].hash)
    forged = audit_record(actor=None, action="test.step", object_type="thing", object_id=5, payload={"n": 0})
    AuditChainHead.objects.filter(pk=head.pk).update(last_hash=last.hash)  # the head remembers the original
    assert forged.hash != last.hash
    result = audit_verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert result.problem == "entry #5 does not match the chain head"


def test_an_entry_appended_behind_the_heads_back_is_named(chain: list[AuditEntry]) -> None:
    appended = audit_record(actor=None, action="test.step", payload={"n": 6})
    AuditChainHead.objects.update(last_seq=5, last_hash=chain[-1].hash)
    result = audit_verify()
    assert (result.ok, result.first_bad_seq) == (False, appended.seq)
    assert result.problem == "entry #6 was added outside audit_record"


def test_a_missing_head_row_is_reported(chain: list[AuditEntry]) -> None:
    AuditChainHead.objects.all().delete()
    result = audit_verify()
    assert not result.ok
    assert result.problem == "the chain head row is missing"


# --- the command line -------------------------------------------------------------------


def test_cli_verify_intact(chain: list[AuditEntry], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines() == ["审计链完整：5 条记录 / audit chain intact: 5 entries"]
    assert err == ""


def test_cli_verify_broken(chain: list[AuditEntry], capsys: pytest.CaptureFixture[str]) -> None:
    AuditEntry.objects.filter(seq=4).update(payload={"n": "tampered"})
    assert main(["audit", "verify"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines() == ["错误 error: audit chain broken at entry #4: entry #4 was changed"]


def test_cli_verify_after_the_last_entry_was_deleted(
    chain: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    AuditEntry.objects.filter(seq=5).delete()
    assert main(["audit", "verify"]) == 1
    _, err = capsys.readouterr()
    assert err.strip() == "错误 error: audit chain broken at entry #5: entry #5 was removed"
