"""Demo 活动与人才: the programme's 2024 events, three 数字化专员培训班 and skill certifications, so
the overview and the cockpit have figures to show. Everything goes through the real services.

- 2024: 15 现场会 across the county's towns, 4 对接会 and 4 政策宣讲会, each with registrations from
  demo enterprises (most of them signed in).
- 数字化专员培训班 第一期 (2023), 第二期 (2024), 第三期 (2025): 35–38 trainees each, university
  students and enterprise staff, every one of them completed and employed — 3 classes, over 100
  trained, 100% employed.
- 200 skill certifications (技能等级认定) in 2023–2025 over five occupations and every level.

Registrations are then dated in the fortnight before their event (the only rows written around a
service). Loading twice changes nothing: when the classes are already there the loader does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.activities.models import Event, EventRegistration, SkillCertification, Trainee, TrainingClass
from shuzhuan.activities.services import (
    certification_record,
    event_create,
    registration_add,
    trainee_add,
    trainee_outcome_set,
    training_class_create,
)
from shuzhuan.enterprises.models import Enterprise, Region

COUNTY_PATH = "/zhejiang/ningbo/cixi/"
BUREAU = "慈溪市经济和信息化局"
ONSITE_2024 = 15
CERTIFICATIONS = 200
# (name, starts_on, ends_on, trainees)
CLASSES = [
    ("数字化专员培训班（第一期）", dt.date(2023, 9, 11), dt.date(2023, 12, 22), 36),
    ("数字化专员培训班（第二期）", dt.date(2024, 6, 17), dt.date(2024, 9, 27), 37),
    ("数字化专员培训班（第三期）", dt.date(2025, 3, 10), dt.date(2025, 6, 20), 35),
]
CLASS_PARTNER = "驻慈高校、行业协会与数字化服务商联合培养"
ONSITE_THEMES = [
    "数字化车间建设",
    "智能工厂观摩",
    "工业互联网平台应用",
    "设备联网与数据采集",
    "MES 系统应用",
    "质量追溯与AI质检",
    "仓储物流数字化",
    "能耗在线监测",
]
MATCHMAKING_THEMES = ["汽配行业", "家电行业", "轴承与模具行业", "中小企业上云用数赋智"]
BRIEFING_THEMES = ["数字化改造专项政策", "新一代信息技术应用奖补", "数字化转型城市试点", "免申即享与兑现流程"]
OCCUPATIONS = ["电子商务师", "工业机器人系统运维员", "供应链管理师", "制图员", "互联网营销师"]
LEVEL_WEIGHTS = {1: 2, 2: 8, 3: 30, 4: 35, 5: 25}
CERT_BODIES = ["慈溪市职业技能等级认定社会评价组织", "宁波市职业技能等级认定机构（备案）"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁沈任姚卢傅钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红宇浩然欣怡晨阳佳琪雨婷子涵梓轩博文思远嘉豪俊杰雅琳诗晴志强海燕晓东春梅立新文斌"


@dataclass(frozen=True)
class ActivitiesReport:
    events: int
    registrations: int
    classes: int
    trainees: int
    employed: int
    certifications: int
    skipped: bool
    reason: str = ""

    def line(self) -> str:
        """One line for the ``demo load`` command."""
        text = (
            f"活动与人才：{self.events} 场活动（{self.registrations} 人次报名），{self.classes} 期培训班"
            f" {self.trainees} 名学员（签约就业 {self.employed} 名），技能等级认定 {self.certifications} 人"
        )
        return text + (f"（{self.reason}）" if self.skipped else "")


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(_SURNAMES) + given


def _names(rng: random.Random, count: int) -> list[str]:
    """``count`` different person names."""
    found: list[str] = []
    while len(found) < count:
        name = _name(rng)
        if name not in found:
            found.append(name)
    return found


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _government(town: Region) -> str:
    return town.name + ("办事处" if town.name.endswith("街道") else "人民政府")


def _date(rng: random.Random, year: int, month: int) -> dt.date:
    return dt.date(year, month, rng.randint(3, 27))


def _existing() -> ActivitiesReport:
    return ActivitiesReport(
        events=Event.objects.count(),
        registrations=EventRegistration.objects.count(),
        classes=TrainingClass.objects.count(),
        trainees=Trainee.objects.count(),
        employed=Trainee.objects.filter(employed=True).count(),
        certifications=SkillCertification.objects.count(),
        skipped=True,
        reason="已存在，未重复载入",
    )


def demo_activities_load(*, seed: int = 20250630) -> ActivitiesReport:
    """Load the demo events, classes and certifications once (see the module's docstring)."""
    if TrainingClass.objects.filter(name__in=[c[0] for c in CLASSES]).exists():
        return _existing()
    county = Region.objects.filter(path=COUNTY_PATH).first()
    towns = list(Region.objects.filter(level=Region.Level.TOWN, path__startswith=COUNTY_PATH))
    firms = list(
        Enterprise.objects.filter(status=Enterprise.Status.ACTIVE, town__path__startswith=COUNTY_PATH)
        .select_related("town")
        .order_by("uscc")
    )
    if county is None or not towns:
        return ActivitiesReport(0, 0, 0, 0, 0, 0, skipped=True, reason="数据库中没有慈溪市的镇（街道）")
    if len(firms) < 40:
        return ActivitiesReport(
            0, 0, 0, 0, 0, 0, skipped=True, reason=f"演示企业太少（{len(firms)} 家，需 40 家以上）"
        )
    rng = random.Random(seed)
    bureau = User.objects.filter(username="bureau", role=Role.BUREAU_OFFICER, is_active=True).first()
    by_town: dict[int, list[Enterprise]] = {}
    for firm in firms:
        by_town.setdefault(firm.town_id, []).append(firm)
    hosts = [t for t in towns if by_town.get(t.pk)] or towns
    with transaction.atomic():
        _events(rng, bureau, county, hosts, firms, by_town)
        _classes(rng, bureau, county, firms)
        _certifications(rng, bureau, firms)
    return ActivitiesReport(
        events=Event.objects.count(),
        registrations=EventRegistration.objects.count(),
        classes=TrainingClass.objects.count(),
        trainees=Trainee.objects.count(),
        employed=Trainee.objects.filter(employed=True).count(),
        certifications=SkillCertification.objects.count(),
        skipped=False,
    )


def _register(
    rng: random.Random, bureau: User | None, event: Event, pool: list[Enterprise], count: int, show: float
) -> None:
    chosen = rng.sample(pool, min(count, len(pool)))
    tz = timezone.get_current_timezone()
    for firm, name in zip(chosen, _names(rng, len(chosen)), strict=True):
        registration = registration_add(
            acting_user=bureau,
            event=event,
            enterprise=firm,
            attendee_name=name,
            attendee_phone=_phone(rng),
            attended=rng.random() < show,
        )
        # registered in the fortnight before the event (the service stamps the time of loading)
        day = event.held_on - dt.timedelta(days=rng.randint(1, 14))
        at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=tz)
        EventRegistration.objects.filter(pk=registration.pk).update(registered_at=at)


def _events(
    rng: random.Random,
    bureau: User | None,
    county: Region,
    hosts: list[Region],
    firms: list[Enterprise],
    by_town: dict[int, list[Enterprise]],
) -> None:
    # 现场会: one town after another (the order shuffled), March to December 2024
    order = rng.sample(hosts, len(hosts))
    for i in range(ONSITE_2024):
        town = order[i % len(order)]
        theme = ONSITE_THEMES[i % len(ONSITE_THEMES)]
        local = by_town.get(town.pk, [])
        host = rng.choice(local) if local else None
        event = event_create(
            acting_user=bureau,
            kind=Event.Kind.ONSITE,
            title=f"{town.name}{theme}现场会",
            held_on=_date(rng, 2024, 3 + (i * 10) // ONSITE_2024),
            region=town,
            venue=host.name if host else f"{town.name}便民服务中心",
            organiser=f"{BUREAU}、{_government(town)}",
        )
        pool = local if len(local) >= 12 else firms
        _register(rng, bureau, event, pool, rng.randint(12, 24), show=0.85)
    # 对接会 and 政策宣讲会: the bureau's, county-wide
    for kind, themes, suffix, months in (
        (Event.Kind.MATCHMAKING, MATCHMAKING_THEMES, "数字化改造供需对接会", (4, 6, 9, 11)),
        (Event.Kind.BRIEFING, BRIEFING_THEMES, "宣讲会", (3, 5, 8, 10)),
    ):
        for theme, month in zip(themes, months, strict=True):
            event = event_create(
                acting_user=bureau,
                kind=kind,
                title=f"{theme}{suffix}",
                held_on=_date(rng, 2024, month),
                region=county,
                venue="慈溪市行政服务中心",
                organiser=BUREAU,
            )
            _register(rng, bureau, event, firms, rng.randint(25, 40), show=0.8)


def _classes(rng: random.Random, bureau: User | None, county: Region, firms: list[Enterprise]) -> None:
    for name, starts, ends, size in CLASSES:
        training_class = training_class_create(
            acting_user=bureau,
            name=name,
            region=county,
            starts_on=starts,
            ends_on=ends,
            partner=CLASS_PARTNER,
        )
        for person in _names(rng, size):
            student = rng.random() < 0.6
            sender = None if student else rng.choice(firms)
            trainee = trainee_add(
                acting_user=bureau,
                training_class=training_class,
                name=person,
                origin=Trainee.Origin.STUDENT if student else Trainee.Origin.EMPLOYEE,
                enterprise=sender,
            )
            employer = sender or rng.choice(firms)  # staff go back to their post; students sign on
            trainee_outcome_set(
                acting_user=bureau,
                trainee=trainee,
                completed=True,
                employed=True,
                employer_enterprise=employer,
            )


def _certifications(rng: random.Random, bureau: User | None, firms: list[Enterprise]) -> None:
    levels = list(LEVEL_WEIGHTS)
    weights = list(LEVEL_WEIGHTS.values())
    for i, person in enumerate(_names(rng, CERTIFICATIONS)):
        firm = rng.choice(firms)
        year = (2023, 2024, 2025)[i % 3]
        level = levels[i] if i < len(levels) else rng.choices(levels, weights)[0]  # every level once
        body = (
            f"{firm.name}（企业自主评价）" if level >= 3 and rng.random() < 0.5 else rng.choice(CERT_BODIES)
        )
        certification_record(
            acting_user=bureau,
            person_name=person,
            occupation=OCCUPATIONS[i % len(OCCUPATIONS)],
            level=level,
            certified_on=_date(rng, year, rng.randint(1, 12)),
            body=body[:200],
            region=firm.town,
            enterprise=firm,
        )
