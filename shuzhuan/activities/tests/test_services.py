"""活动与人才 writes: who may write where, refusals naming the field, duplicates, audit entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import County
from shuzhuan.activities import services as svc
from shuzhuan.activities.models import Event, EventRegistration, Trainee
from shuzhuan.activities.tests.factories import make_class, make_event, make_trainee
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


# --- scope and role --------------------------------------------------------------------------


def test_a_town_officer_records_events_in_their_own_town_only(county: County) -> None:
    town = county.users["town_officer"]  # 观海卫镇
    event = svc.event_create(
        acting_user=town,
        kind="onsite",
        title="观海卫镇现场会",
        held_on="2024-05-20",
        region="cixi-guanhaiwei",
    )
    assert event.region.code == "cixi-guanhaiwei" and event.held_on == dt.date(2024, 5, 20)
    with pytest.raises(ApplicationError) as exc:
        svc.event_create(
            acting_user=town,
            kind="onsite",
            title="周巷镇现场会",
            held_on="2024-05-20",
            region="cixi-zhouxiang",
        )
    assert exc.value.field == "region" and "周巷镇" in exc.value.message
    # the county itself is above the town officer, too
    with pytest.raises(ApplicationError) as exc:
        svc.event_create(
            acting_user=town, kind="briefing", title="全市宣讲会", held_on="2024-05-20", region="cixi"
        )
    assert exc.value.field == "region"
    assert Event.objects.count() == 1


def test_a_town_officer_cannot_edit_or_register_for_another_towns_event(county: County) -> None:
    town = county.users["town_officer"]
    elsewhere = make_event(region="cixi-zhouxiang")
    with pytest.raises(ApplicationError) as exc:
        svc.event_update(acting_user=town, event=elsewhere, title="改名")
    assert exc.value.field == "event"
    with pytest.raises(ApplicationError) as exc:
        svc.registration_add(acting_user=town, event=elsewhere, attendee_name="李四")
    assert exc.value.field == "event"
    # nor move their own event out of their town
    own = make_event(region="cixi-guanhaiwei")
    with pytest.raises(ApplicationError) as exc:
        svc.event_update(acting_user=town, event=own, region="cixi-zhouxiang")
    assert exc.value.field == "region"
    own.refresh_from_db()
    assert own.region.code == "cixi-guanhaiwei"


def test_the_bureau_records_anywhere_in_the_county(county: County) -> None:
    bureau = county.users["bureau_officer"]
    event = svc.event_create(
        acting_user=bureau, kind="matchmaking", title="供需对接会", held_on=dt.date(2024, 6, 1), region="cixi"
    )
    svc.registration_add(acting_user=bureau, event=event, attendee_name="王五", enterprise=county.elsewhere)
    updated = svc.event_update(
        acting_user=bureau, event=event, region="cixi-zhouxiang", venue="周巷镇会议中心"
    )
    assert (updated.region.code, updated.venue) == ("cixi-zhouxiang", "周巷镇会议中心")


@pytest.mark.parametrize("role", ["auditor", "enterprise", "expert", "service_provider"])
def test_roles_without_manage_are_refused(county: County, role: str) -> None:
    with pytest.raises(ApplicationError) as exc:
        svc.event_create(
            acting_user=county.users[role],
            kind="onsite",
            title="现场会",
            held_on="2024-05-20",
            region="cixi-guanhaiwei",
        )
    assert exc.value.field == "user"
    with pytest.raises(ApplicationError):
        svc.certification_record(
            acting_user=county.users[role],
            person_name="张三",
            occupation="电子商务师",
            level=4,
            certified_on="2024-06-01",
            body="认定机构",
            region="cixi-guanhaiwei",
        )


def test_a_town_officer_cannot_name_another_towns_enterprise(county: County) -> None:
    town = county.users["town_officer"]
    event = make_event(region="cixi-guanhaiwei")
    with pytest.raises(ApplicationError) as exc:
        svc.registration_add(acting_user=town, event=event, attendee_name="赵六", enterprise=county.elsewhere)
    assert exc.value.field == "enterprise"
    registration = svc.registration_add(
        acting_user=town, event=event, attendee_name="赵六", enterprise=county.own
    )
    assert registration.enterprise == county.own


# --- registrations and attendance ---------------------------------------------------------------


def test_the_same_attendee_registers_once(county: County) -> None:
    event = make_event()
    svc.registration_add(acting_user=None, event=event, attendee_name="张三", enterprise=county.own)
    with pytest.raises(ApplicationError) as exc:
        svc.registration_add(acting_user=None, event=event, attendee_name=" 张三 ", enterprise=county.own)
    assert exc.value.field == "attendee_name" and "已报名" in exc.value.message
    # without an enterprise, too (the database lets NULLs repeat; the service does not)
    svc.registration_add(acting_user=None, event=event, attendee_name="李四")
    with pytest.raises(ApplicationError) as exc:
        svc.registration_add(acting_user=None, event=event, attendee_name="李四")
    assert exc.value.field == "attendee_name"
    # the same name for another enterprise is another person
    svc.registration_add(acting_user=None, event=event, attendee_name="张三", enterprise=county.neighbour)
    assert EventRegistration.objects.filter(event=event).count() == 3


def test_attendance_is_set_and_audited(county: County) -> None:
    event = make_event()
    registration = svc.registration_add(acting_user=None, event=event, attendee_name="张三")
    town = county.users["town_officer"]
    assert svc.attendance_set(acting_user=town, registration=registration, attended=True).attended
    entry = AuditEntry.objects.filter(action="activity.registration.attendance").get()
    assert entry.actor_username == "town" and entry.payload["after"] == {"attended": True}
    # unchanged: no second entry
    svc.attendance_set(acting_user=town, registration=registration, attended=True)
    assert AuditEntry.objects.filter(action="activity.registration.attendance").count() == 1
    assert audit_verify().ok


# --- bad input names the field ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"kind": "party"}, "kind", "活动类型"),
        ({"title": "  "}, "title", "活动名称"),
        ({"title": "长" * 201}, "title", "200"),
        ({"held_on": "2024-13-01"}, "held_on", "举办日期"),
        ({"held_on": ""}, "held_on", "举办日期"),
        ({"region": "nowhere"}, "region", "举办地区"),
        ({"venue": "地" * 201}, "venue", "地点"),
    ],
)
def test_bad_event_input_names_the_field(
    county: County, changes: dict[str, str], field: str, words: str
) -> None:
    values = {
        "kind": "onsite",
        "title": "现场会",
        "held_on": "2024-05-20",
        "region": "cixi-guanhaiwei",
        **changes,
    }
    with pytest.raises(ApplicationError) as exc:
        svc.event_create(acting_user=county.users["bureau_officer"], **values)
    assert exc.value.field == field and words in exc.value.message
    assert not Event.objects.exists()


def test_a_class_cannot_end_before_it_starts(county: County) -> None:
    with pytest.raises(ApplicationError) as exc:
        svc.training_class_create(
            acting_user=county.users["bureau_officer"],
            name="数字化专员培训班（第九期）",
            region="cixi",
            starts_on="2024-06-01",
            ends_on="2024-05-01",
        )
    assert exc.value.field == "ends_on" and "结业日期" in exc.value.message


@pytest.mark.parametrize("level", [0, 6, "三", True])
def test_a_certification_level_is_one_to_five(county: County, level: object) -> None:
    with pytest.raises(ApplicationError) as exc:
        svc.certification_record(
            acting_user=None,
            person_name="张三",
            occupation="电子商务师",
            level=level,  # type: ignore[arg-type]
            certified_on="2024-06-01",
            body="认定机构",
            region="cixi-guanhaiwei",
        )
    assert exc.value.field == "level" and "等级" in exc.value.message


def test_a_certification_needs_a_person_an_occupation_and_a_body(county: County) -> None:
    values: dict[str, Any] = {
        "person_name": "张三",
        "occupation": "电子商务师",
        "level": "3",
        "certified_on": "2024-06-01",
        "body": "认定机构",
        "region": "cixi-guanhaiwei",
    }
    for name, label in (("person_name", "姓名"), ("occupation", "职业"), ("body", "认定机构")):
        with pytest.raises(ApplicationError) as exc:
            svc.certification_record(acting_user=None, **{**values, name: ""})
        assert exc.value.field == name and label in exc.value.message
    recorded = svc.certification_record(acting_user=None, **values)
    assert recorded.level == 3 and recorded.get_level_display() == "三级/高级工"


# --- trainees -----------------------------------------------------------------------------------


def test_a_trainees_outcome(county: County) -> None:
    training_class = make_class()
    trainee = make_trainee(training_class, name="陈七")
    with pytest.raises(ApplicationError) as exc:
        svc.trainee_outcome_set(
            acting_user=None, trainee=trainee, completed=False, employed=True, employer="某公司"
        )
    assert exc.value.field == "employed"
    with pytest.raises(ApplicationError) as exc:
        svc.trainee_outcome_set(acting_user=None, trainee=trainee, completed=True, employed=True)
    assert exc.value.field == "employer"
    done = svc.trainee_outcome_set(
        acting_user=county.users["town_officer"],
        trainee=trainee,
        completed=True,
        employed=True,
        employer_enterprise=county.own,
    )
    assert done.employer == county.own.name and done.employer_enterprise == county.own
    entry = AuditEntry.objects.get(action="activity.trainee.outcome")
    assert entry.payload["before"]["employed"] is False and entry.payload["after"]["employed"] is True


def test_a_student_has_no_sending_enterprise(county: County) -> None:
    training_class = make_class()
    with pytest.raises(ApplicationError) as exc:
        svc.trainee_add(
            acting_user=None,
            training_class=training_class,
            name="周八",
            origin="student",
            enterprise=county.own,
        )
    assert exc.value.field == "enterprise"
    with pytest.raises(ApplicationError) as exc:
        svc.trainee_add(acting_user=None, training_class=training_class, name="周八", origin="retiree")
    assert exc.value.field == "origin"
    staff = svc.trainee_add(
        acting_user=None, training_class=training_class, name="周八", origin="employee", enterprise=county.own
    )
    assert staff.origin == Trainee.Origin.EMPLOYEE


def test_a_town_officer_keeps_their_own_towns_classes(county: County) -> None:
    town = county.users["town_officer"]
    elsewhere = make_class(region="cixi-zhouxiang")
    with pytest.raises(ApplicationError) as exc:
        svc.trainee_add(acting_user=town, training_class=elsewhere, name="吴九", origin="student")
    assert exc.value.field == "training_class"
    trainee = make_trainee(elsewhere, name="吴九")
    with pytest.raises(ApplicationError):
        svc.trainee_outcome_set(acting_user=town, trainee=trainee, completed=True, employed=False)
