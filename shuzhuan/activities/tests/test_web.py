"""The 活动与人才 pages through the Django test client: scope on every page, the forms' round trips."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from conftest import County
from shuzhuan.activities.models import Event, EventRegistration, SkillCertification, Trainee, TrainingClass
from shuzhuan.activities.services import registration_add
from shuzhuan.activities.tests.factories import make_certification, make_class, make_event, make_trainee

pytestmark = pytest.mark.django_db


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def test_the_town_officer_sees_only_their_towns_activities(county: County) -> None:
    own = make_event(region="cixi-guanhaiwei", title="观海卫镇数字化车间现场会")
    other = make_event(region="cixi-zhouxiang", title="周巷镇智能工厂现场会")
    make_class(region="cixi-zhouxiang", name="周巷镇数字化专员培训班")
    make_certification(region="cixi-zhouxiang", person_name="周巷持证人")
    client = _client(county, "town_officer")

    html = client.get("/activities/").content.decode()
    assert own.title in html and other.title not in html and "周巷镇数字化专员培训班" not in html
    assert 'href="/activities/"' in html and "活动与人才" in html  # the nav item, active
    assert client.get(f"/activities/events/{other.pk}/").status_code == 404
    assert "周巷持证人" not in client.get("/activities/certifications/").content.decode()
    # asking for another town by its code does not widen the scope
    response = client.get("/activities/", {"region": "cixi-zhouxiang"})
    assert response.status_code == 200 and other.title not in response.content.decode()

    bureau = _client(county, "bureau_officer").get("/activities/").content.decode()
    assert own.title in bureau and other.title in bureau


def test_the_overview_filters_by_kind_and_date(county: County) -> None:
    make_event(kind="onsite", title="现场会甲", held_on=dt.date(2024, 4, 1))
    make_event(kind="briefing", title="宣讲会乙", held_on=dt.date(2024, 5, 1))
    make_event(kind="onsite", title="现场会丙", held_on=dt.date(2025, 4, 1))
    client = _client(county, "auditor")
    response = client.get("/activities/", {"kind": "onsite", "start": "2024-01-01", "end": "2024-12-31"})
    titles = [e.title for e in response.context["page"].object_list]
    assert titles == ["现场会甲"]
    assert response.context["summary"]["events"]["onsite"]["count"] == 1


def test_registering_and_signing_in_on_the_event_page(county: County) -> None:
    event = make_event(region="cixi-guanhaiwei")
    client = _client(county, "town_officer")
    response = client.post(
        f"/activities/events/{event.pk}/registrations/",
        {"attendee_name": "张三", "attendee_phone": "13800000000", "enterprise": county.own.uscc},
    )
    assert response.status_code == 302 and response["Location"] == f"/activities/events/{event.pk}/"
    registration = EventRegistration.objects.get(event=event)
    assert (registration.attendee_name, registration.enterprise) == ("张三", county.own)

    # the same person again: the page with the refusal on the field
    again = client.post(
        f"/activities/events/{event.pk}/registrations/",
        {"attendee_name": "张三", "enterprise": county.own.uscc},
    )
    assert again.status_code == 200 and "已报名本次活动" in again.content.decode()
    assert again.context["form"].errors["attendee_name"]
    # an enterprise of another town is not found for the town officer
    elsewhere = client.post(
        f"/activities/events/{event.pk}/registrations/",
        {"attendee_name": "李四", "enterprise": county.elsewhere.uscc},
    )
    assert elsewhere.status_code == 200 and elsewhere.context["form"].errors["enterprise"]

    client.post(
        f"/activities/events/{event.pk}/registrations/{registration.pk}/attendance/", {"attended": "1"}
    )
    registration.refresh_from_db()
    assert registration.attended
    page = client.get(f"/activities/events/{event.pk}/").content.decode()
    assert "报名 1 人，签到 1 人" in page


def test_the_auditor_reads_but_does_not_write(county: County) -> None:
    event = make_event()
    registration = registration_add(acting_user=None, event=event, attendee_name="张三")
    client = _client(county, "auditor")
    page = client.get(f"/activities/events/{event.pk}/")
    assert page.status_code == 200 and page.context["form"] is None
    url = f"/activities/events/{event.pk}/registrations/{registration.pk}/attendance/"
    assert client.post(url, {"attended": "1"}).status_code == 403
    assert client.get("/activities/events/new/").status_code == 403


def test_creating_an_event_and_a_class(county: County) -> None:
    client = _client(county, "bureau_officer")
    response = client.post(
        "/activities/events/new/",
        {"kind": "matchmaking", "title": "汽配行业供需对接会", "held_on": "2024-04-18", "region": "cixi"},
    )
    event = Event.objects.get()
    assert response["Location"] == f"/activities/events/{event.pk}/"
    assert (event.kind, event.region.code) == ("matchmaking", "cixi")

    bad = client.post(
        "/activities/classes/new/",
        {
            "name": "数字化专员培训班（第四期）",
            "region": "cixi",
            "starts_on": "2026-03-01",
            "ends_on": "2026-01-01",
        },
    )
    assert bad.status_code == 200 and "结业日期不能早于开班日期" in bad.content.decode()
    good = client.post(
        "/activities/classes/new/",
        {
            "name": "数字化专员培训班（第四期）",
            "region": "cixi",
            "starts_on": "2026-03-01",
            "ends_on": "2026-06-30",
        },
    )
    training_class = TrainingClass.objects.get()
    assert good["Location"] == f"/activities/classes/{training_class.pk}/"
    assert training_class.name == "数字化专员培训班（第四期）"


def test_a_trainees_outcome_on_the_class_page(county: County) -> None:
    training_class = make_class(region="cixi-guanhaiwei")
    trainee = make_trainee(training_class, name="陈七")
    client = _client(county, "town_officer")
    client.post(f"/activities/classes/{training_class.pk}/trainees/", {"name": "周八", "origin": "student"})
    assert Trainee.objects.filter(training_class=training_class).count() == 2

    url = f"/activities/classes/{training_class.pk}/trainees/{trainee.pk}/outcome/"
    refused = client.post(url, {"employed": "on", "employer": "某公司"}, follow=True)
    assert "未结业的学员不能登记签约就业" in refused.content.decode()
    client.post(url, {"completed": "on", "employed": "on", "employer_enterprise": county.own.uscc})
    trainee.refresh_from_db()
    assert trainee.employed and trainee.employer == county.own.name
    page = client.get(f"/activities/classes/{training_class.pk}/")
    assert page.context["employment_rate"] == 100
    assert '签约就业率 <strong data-testid="employment-rate">100.00%' in page.content.decode()


def test_recording_a_certification(county: County) -> None:
    client = _client(county, "town_officer")
    form = {
        "person_name": "王五",
        "occupation": "工业机器人系统运维员",
        "level": "3",
        "certified_on": "2024-10-12",
        "body": "慈溪市职业技能等级认定社会评价组织",
        "region": "cixi-guanhaiwei",
        "enterprise": county.own.name,
    }
    response = client.post("/activities/certifications/", form)
    assert response.status_code == 302
    certification = SkillCertification.objects.get()
    assert (certification.level, certification.enterprise) == (3, county.own)
    refused = client.post("/activities/certifications/", {**form, "region": "cixi-zhouxiang"})
    assert refused.status_code == 200 and refused.context["form"].errors["region"]
    listed = client.get("/activities/certifications/", {"year": "2024", "level": "3"})
    assert [c.person_name for c in listed.context["page"].object_list] == ["王五"]
