"""User management: who manages whom (access_users), the user_* services and the user list selector.

The rule (shuzhuan/accounts/access.py): an account belongs to one region — an officer's or
auditor's jurisdiction, an enterprise user's enterprise's town, an expert's or provider's home
region. A bureau officer manages the accounts belonging to their subtree, except themselves and
the other bureau officers of their own region; nobody manages an account scoped above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from conftest import County
from shuzhuan.accounts.access import (
    access_user,
    access_user_manageable,
    access_user_region,
    access_user_regions,
    access_users,
)
from shuzhuan.accounts.models import ApiToken, Role, User
from shuzhuan.accounts.selectors import UserFilter, user_filter, user_is_locked, user_list
from shuzhuan.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    user_activate,
    user_create,
    user_deactivate,
    user_password_change,
    user_set_password,
    user_unlock,
    user_update,
)
from shuzhuan.accounts.tests.factories import PASSWORD, make_user
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region

STRONG = "Hai-Wei-2025-qiye"
NEW_STRONG = "Zhou-Xiang-2026-xin"


@dataclass
class People:
    county: County
    users: dict[str, User]

    def __getitem__(self, key: str) -> User:
        """By role (the county fixture's users: "bureau_officer", …) or by username."""
        if key in self.county.users:
            return self.county.users[key]
        by_name = {u.username: u for u in self.county.users.values()} | self.users
        return by_name[key]


@pytest.fixture
def people(county: County) -> People:
    """The county fixture's six users plus accounts on every side of the scope lines."""
    users = {
        "peer_bureau": make_user(Role.BUREAU_OFFICER, username="peer_bureau", region="cixi"),
        "city_bureau": make_user(Role.BUREAU_OFFICER, username="city_bureau", region="ningbo"),
        "town_bureau": make_user(Role.BUREAU_OFFICER, username="town_bureau", region="cixi-guanhaiwei"),
        "zhouxiang_town": make_user(Role.TOWN_OFFICER, username="zhouxiang_town", region="cixi-zhouxiang"),
        "elsewhere_firm": make_user(Role.ENTERPRISE, username="elsewhere_firm", enterprise=county.elsewhere),
        "neighbour_firm": make_user(Role.ENTERPRISE, username="neighbour_firm", enterprise=county.neighbour),
        "ningbo_expert": make_user(Role.EXPERT, username="ningbo_expert", home_region="ningbo"),
        "town_provider": make_user(
            Role.SERVICE_PROVIDER, username="town_provider", home_region="cixi-guanhaiwei"
        ),
        "city_auditor": make_user(Role.AUDITOR, username="city_auditor", region="ningbo"),
    }
    legacy = make_user(Role.EXPERT, username="legacy_expert")
    User.objects.filter(pk=legacy.pk).update(home_region=None)  # made before home regions existed
    odd = User.objects.create_user(username="odd", password=PASSWORD)  # e.g. createsuperuser: no role
    users["legacy_expert"] = User.objects.get(pk=legacy.pk)
    users["odd"] = odd
    return People(county, users)


def names(qs: Any) -> set[str]:
    return {u.username for u in qs}


# --- who manages whom -------------------------------------------------------------------------


def test_county_bureau_manages_the_county_below_it(people: People) -> None:
    assert names(access_users(people["bureau_officer"])) == {
        # town officers and auditors of the county, enterprise users of its enterprises
        "town",
        "zhouxiang_town",
        "auditor",
        "firm",
        "elsewhere_firm",
        "neighbour_firm",
        # experts and providers the county (or one of its towns) registered
        "expert",
        "provider",
        "town_provider",
        # a bureau officer of one of its towns is strictly below
        "town_bureau",
    }
    # Not: itself, the other county bureau officer (a peer), anything scoped to Ningbo (above),
    # an expert with no home region, an account without a role.


def test_a_town_scoped_bureau_officer_manages_only_that_town(people: People) -> None:
    assert names(access_users(people["town_bureau"])) == {"town", "firm", "neighbour_firm", "town_provider"}


def test_a_city_bureau_officer_manages_the_county_bureau_too(people: People) -> None:
    managed = names(access_users(people["city_bureau"]))
    assert {"bureau", "peer_bureau", "town_bureau", "ningbo_expert", "city_auditor", "expert"} <= managed
    assert "city_bureau" not in managed and "legacy_expert" not in managed and "odd" not in managed


@pytest.mark.parametrize("manager", ["bureau_officer", "town_bureau", "city_bureau", "peer_bureau"])
def test_the_python_rule_and_the_query_agree(people: People, manager: str) -> None:
    actor = people[manager]
    by_query = names(access_users(actor))
    by_rule = {u.username for u in User.objects.all() if access_user_manageable(actor, u)}
    assert by_query == by_rule


@pytest.mark.parametrize("role", ["town_officer", "auditor", "enterprise", "expert", "service_provider"])
def test_only_bureau_officers_manage_users(people: People, role: str) -> None:
    user = people[role]
    assert not access_users(user).exists()
    assert not access_user_regions(user).exists()
    assert not access_user_manageable(user, people["firm"])
    with pytest.raises(PermissionDenied):
        access_user(user, "firm")


def test_anonymous_and_deactivated_officers_manage_nobody(people: People) -> None:
    assert not access_users(AnonymousUser()).exists()
    assert not access_users(None).exists()
    bureau = people["bureau_officer"]
    bureau.is_active = False
    assert not access_users(bureau).exists()


def test_access_user_is_404_outside_the_scope(people: People) -> None:
    bureau = people["bureau_officer"]
    assert access_user(bureau, "zhouxiang_town").username == "zhouxiang_town"
    for outside in (
        "city_bureau",
        "peer_bureau",
        "bureau",
        "ningbo_expert",
        "legacy_expert",
        "odd",
        "nobody",
    ):
        with pytest.raises(Http404):
            access_user(bureau, outside)
    with pytest.raises(Http404):
        access_user(people["town_bureau"], "zhouxiang_town")  # another town


def test_the_region_an_account_belongs_to(people: People) -> None:
    def code(key: str) -> str | None:
        region = access_user_region(people[key])
        return region.code if region else None

    assert code("town") == "cixi-guanhaiwei"
    assert code("elsewhere_firm") == "cixi-zhouxiang"  # the enterprise's town
    assert code("expert") == "cixi"
    assert code("legacy_expert") is None
    assert code("odd") is None


def test_scope_is_a_whole_path_segment(people: People) -> None:
    cixi = Region.objects.get(code="cixi")
    Region.objects.create(
        code="cixi2", name="慈溪二", level=Region.Level.COUNTY, parent=cixi.parent, path=cixi.path[:-1] + "2/"
    )
    make_user(Role.AUDITOR, username="lookalike_auditor", region="cixi2")
    assert "lookalike_auditor" not in names(access_users(people["bureau_officer"]))
    assert "cixi2" not in set(access_user_regions(people["bureau_officer"]).values_list("code", flat=True))


def test_assignable_regions_are_the_subtree(people: People) -> None:
    codes = list(access_user_regions(people["bureau_officer"]).values_list("code", flat=True))
    assert codes[0] == "cixi" and "cixi-guanhaiwei" in codes and "ningbo" not in codes
    assert list(access_user_regions(people["town_bureau"]).values_list("code", flat=True)) == [
        "cixi-guanhaiwei"
    ]


# --- user_create with an acting officer ------------------------------------------------------


def create(actor: User, **kwargs: Any) -> User:
    args: dict[str, Any] = {"acting_user": actor, "username": "zhangsan", "password": STRONG}
    return user_create(**{**args, **kwargs})


def test_an_officer_creates_accounts_in_scope_and_is_audited(people: People) -> None:
    bureau = people["bureau_officer"]
    officer = create(bureau, role="town_officer", region_code="cixi-zhouxiang", display_name=" 李四 ")
    assert officer.display_name == "李四"
    entry = AuditEntry.objects.get(action="user.create", object_id=str(officer.pk))
    assert entry.actor_username == "bureau"
    expert = create(bureau, username="zhuanjia", role="expert")
    assert expert.home_region is not None and expert.home_region.code == "cixi"  # the officer's region
    assert (
        AuditEntry.objects.get(action="user.create", object_id=str(expert.pk)).payload["home_region"]
        == "cixi"
    )
    firm = create(bureau, username="qiye", role="enterprise", enterprise_uscc=people.county.elsewhere.uscc)
    assert firm.enterprise == people.county.elsewhere
    below = create(bureau, username="zhenju", role="bureau_officer", region_code="cixi-hushan")
    assert access_user_manageable(bureau, below)
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("actor", "kwargs", "field", "words"),
    [
        ("bureau_officer", {"role": "bureau_officer", "region_code": "cixi"}, "region", "不能与您同级或更高"),
        (
            "bureau_officer",
            {"role": "bureau_officer", "region_code": "ningbo"},
            "region",
            "不能与您同级或更高",
        ),
        (
            "bureau_officer",
            {"role": "auditor", "region_code": "ningbo"},
            "region",
            "不在您的管辖范围（慈溪市）内",
        ),
        ("bureau_officer", {"role": "expert", "home_region_code": "ningbo"}, "home_region", "归属区域不在"),
        ("bureau_officer", {"role": "expert", "home_region_code": "atlantis"}, "home_region", "未知的区域"),
        (
            "bureau_officer",
            {"role": "auditor", "region_code": "cixi", "home_region_code": "cixi"},
            "home_region",
            "不需要归属区域",
        ),
        (
            "town_bureau",
            {"role": "town_officer", "region_code": "cixi-zhouxiang"},
            "region",
            "不在您的管辖范围",
        ),
        (
            "town_bureau",
            {"role": "enterprise", "enterprise_uscc": "elsewhere"},
            "enterprise",
            "不在您的管辖范围",
        ),
        ("town_bureau", {"role": "expert"}, "home_region", ""),  # defaults to 观海卫镇: allowed below
    ],
)
def test_an_officer_cannot_create_accounts_outside_the_scope(
    people: People, actor: str, kwargs: dict[str, Any], field: str, words: str
) -> None:
    if kwargs.get("enterprise_uscc") == "elsewhere":
        kwargs = {**kwargs, "enterprise_uscc": people.county.elsewhere.uscc}
    before = User.objects.count()
    if not words:  # the control case: this one is allowed
        assert create(people[actor], **kwargs).home_region == Region.objects.get(code="cixi-guanhaiwei")
        return
    with pytest.raises(ApplicationError) as excinfo:
        create(people[actor], **kwargs)
    assert (excinfo.value.field, words in excinfo.value.message) == (field, True), excinfo.value.message
    assert User.objects.count() == before


@pytest.mark.parametrize("role", ["town_officer", "auditor", "enterprise", "expert"])
def test_only_managers_create_accounts(people: People, role: str) -> None:
    with pytest.raises(PermissionDenied):
        create(people[role], role="expert")
    assert not User.objects.filter(username="zhangsan").exists()


# --- user_update ------------------------------------------------------------------------------


def test_update_changes_name_and_region_and_audits_the_changes(people: People) -> None:
    town = people["town"]
    user_update(
        acting_user=people["bureau_officer"], user=town, display_name="王五", region_code="cixi-hushan"
    )
    town.refresh_from_db()
    assert (town.display_name, town.region.code if town.region else None) == ("王五", "cixi-hushan")
    entry = AuditEntry.objects.filter(action="user.update").latest("seq")
    assert entry.actor_username == "bureau"
    assert entry.payload == {
        "username": "town",
        "changes": {"display_name": ["", "王五"], "region": ["cixi-guanhaiwei", "cixi-hushan"]},
    }


def test_update_rebinds_an_enterprise_user_and_a_home_region(people: People) -> None:
    bureau = people["bureau_officer"]
    firm = user_update(acting_user=bureau, user=people["firm"], enterprise_uscc=people.county.elsewhere.uscc)
    assert firm.enterprise == people.county.elsewhere
    expert = user_update(acting_user=bureau, user=people["expert"], home_region_code="cixi-zhouxiang")
    assert expert.home_region == Region.objects.get(code="cixi-zhouxiang")


def test_an_update_that_changes_nothing_writes_no_audit_entry(people: People) -> None:
    before = AuditEntry.objects.count()
    user_update(acting_user=people["bureau_officer"], user=people["town"], display_name="", region_code=None)
    assert AuditEntry.objects.count() == before


def test_update_cannot_move_an_account_out_of_the_scope(people: People) -> None:
    town = people["town"]
    with pytest.raises(ApplicationError) as excinfo:
        user_update(acting_user=people["town_bureau"], user=town, region_code="cixi-zhouxiang")
    assert excinfo.value.field == "region"
    with pytest.raises(ApplicationError) as excinfo:
        user_update(acting_user=people["bureau_officer"], user=town, region_code="cixi")
    assert "必须是一个镇或街道" in excinfo.value.message
    with pytest.raises(ApplicationError) as excinfo:
        user_update(acting_user=people["bureau_officer"], user=people["town_bureau"], region_code="cixi")
    assert "不能与您同级或更高" in excinfo.value.message
    town.refresh_from_db()
    assert town.region is not None and town.region.code == "cixi-guanhaiwei"


def test_update_of_an_account_outside_the_scope_is_refused(people: People) -> None:
    for outside in ("city_bureau", "peer_bureau", "ningbo_expert"):
        with pytest.raises(PermissionDenied):
            user_update(acting_user=people["bureau_officer"], user=people[outside], display_name="x")
    with pytest.raises(PermissionDenied):  # not even oneself: one's own account is on 我的账户
        user_update(acting_user=people["bureau_officer"], user=people["bureau_officer"], display_name="x")


def test_update_refuses_a_long_name(people: People) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        user_update(acting_user=people["bureau_officer"], user=people["town"], display_name="长" * 65)
    assert excinfo.value.field == "display_name"


def test_update_can_deactivate(people: People) -> None:
    user_update(acting_user=people["bureau_officer"], user=people["expert"], is_active=False)
    assert not User.objects.get(username="expert").is_active
    assert AuditEntry.objects.filter(action="user.deactivate").exists()


# --- passwords --------------------------------------------------------------------------------


def test_set_password_validates_and_audits_without_the_password(people: People) -> None:
    town = people["town"]
    with pytest.raises(ApplicationError) as excinfo:
        user_set_password(acting_user=people["bureau_officer"], user=town, password="12345678")
    assert excinfo.value.field == "password" and "密码" in excinfo.value.message
    user_set_password(acting_user=people["bureau_officer"], user=town, password=STRONG)
    assert User.objects.get(username="town").check_password(STRONG)
    entry = AuditEntry.objects.get(action="user.password_set")
    assert entry.payload == {"username": "town"} and STRONG not in str(entry.payload)


def test_set_password_outside_the_scope_is_refused(people: People) -> None:
    with pytest.raises(PermissionDenied):
        user_set_password(acting_user=people["town_bureau"], user=people["zhouxiang_town"], password=STRONG)
    assert User.objects.get(username="zhouxiang_town").check_password(PASSWORD)


def test_the_cli_may_set_anyones_password(people: People) -> None:
    user_set_password(acting_user=None, user=people["city_bureau"], password=STRONG)
    assert User.objects.get(username="city_bureau").check_password(STRONG)
    assert AuditEntry.objects.get(action="user.password_set").actor_username == "system"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("wrong-old", NEW_STRONG, "old_password"),
        (PASSWORD, PASSWORD, "new_password"),
        (PASSWORD, "12345678", "new_password"),
        (PASSWORD, "short", "new_password"),
    ],
)
def test_password_change_refusals(people: People, old: str, new: str, field: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        user_password_change(acting_user=people["expert"], old_password=old, new_password=new)
    assert excinfo.value.field == field
    assert User.objects.get(username="expert").check_password(PASSWORD)


@pytest.mark.parametrize("role", ["bureau_officer", "town_officer", "enterprise", "expert", "auditor"])
def test_everyone_can_change_their_own_password(people: People, role: str) -> None:
    user_password_change(acting_user=people[role], old_password=PASSWORD, new_password=NEW_STRONG)
    assert User.objects.get(pk=people[role].pk).check_password(NEW_STRONG)
    assert AuditEntry.objects.filter(action="user.password_change").latest("seq").actor_username == (
        people[role].username
    )


# --- deactivate, activate, unlock -------------------------------------------------------------


def test_nobody_can_deactivate_themselves(people: People) -> None:
    bureau = people["bureau_officer"]
    with pytest.raises(ApplicationError) as excinfo:
        user_deactivate(acting_user=bureau, user=bureau)
    assert "不能停用自己" in excinfo.value.message
    assert User.objects.get(pk=bureau.pk).is_active


def _can_log_in(username: str) -> bool:
    return Client().post("/login/", {"username": username, "password": PASSWORD}).status_code == 302


def test_deactivate_revokes_tokens_and_activate_brings_back_the_login(people: People) -> None:
    bureau, town = people["bureau_officer"], people["town"]
    _, raw = api_token_create(acting_user=None, user=town)
    user_deactivate(acting_user=bureau, user=town)
    assert not User.objects.get(pk=town.pk).is_active
    assert api_token_authenticate(raw) is None
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert entry.payload == {"username": "town", "tokens_revoked": 1}
    assert not _can_log_in("town")
    with pytest.raises(ApplicationError):
        user_deactivate(acting_user=bureau, user=town)  # already
    user_activate(acting_user=bureau, user=town)
    assert _can_log_in("town")
    assert api_token_authenticate(raw) is None  # revoked tokens stay revoked
    with pytest.raises(ApplicationError):
        user_activate(acting_user=bureau, user=town)  # already
    assert audit_verify().ok


def test_deactivate_outside_the_scope_is_refused(people: People) -> None:
    for outside in ("peer_bureau", "city_bureau"):
        with pytest.raises(PermissionDenied):
            user_deactivate(acting_user=people["bureau_officer"], user=people[outside])
        assert User.objects.get(username=outside).is_active


def _fail_logins(username: str, times: int = 5) -> None:
    client = Client()
    for _ in range(times):
        client.post("/login/", {"username": username, "password": "wrong-password"})


def test_unlock_ends_a_lockout(people: People) -> None:
    _fail_logins("town")
    assert user_is_locked(username="town")
    assert Client().post("/login/", {"username": "town", "password": PASSWORD}).status_code == 429
    assert names(user_list(actor=people["bureau_officer"], filters=UserFilter(status="locked"))) == {"town"}
    cleared = user_unlock(acting_user=people["bureau_officer"], user=people["town"])
    assert cleared == 1  # one row per account name, address and browser
    assert not user_is_locked(username="town")
    assert Client().post("/login/", {"username": "town", "password": PASSWORD}).status_code == 302
    entry = AuditEntry.objects.get(action="user.unlock")
    assert (entry.actor_username, entry.payload) == ("bureau", {"username": "town", "attempts_cleared": 1})


def test_fewer_failures_than_the_limit_is_not_locked(people: People) -> None:
    _fail_logins("town", times=4)
    assert not user_is_locked(username="town")
    _fail_logins("town", times=1)
    assert user_is_locked(username="town")


def test_unlock_outside_the_scope_is_refused(people: People) -> None:
    _fail_logins("city_bureau")
    with pytest.raises(PermissionDenied):
        user_unlock(acting_user=people["bureau_officer"], user=people["city_bureau"])
    assert user_is_locked(username="city_bureau")


# --- the list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (UserFilter(q="FIRM"), {"firm", "elsewhere_firm", "neighbour_firm"}),
        (UserFilter(role="town_officer"), {"town", "zhouxiang_town"}),
        (UserFilter(region="cixi-zhouxiang"), {"zhouxiang_town", "elsewhere_firm"}),
        (UserFilter(region="cixi-guanhaiwei", role="service_provider"), {"town_provider"}),
        (UserFilter(region="ningbo"), None),  # the whole scope: ningbo contains cixi
        (UserFilter(region="atlantis"), set()),
        (UserFilter(role="admin"), set()),
        (UserFilter(status="bogus"), set()),
        (UserFilter(status="inactive"), {"expert"}),
    ],
)
def test_user_list_filters(people: People, filters: UserFilter, expected: set[str] | None) -> None:
    bureau = people["bureau_officer"]
    User.objects.filter(username="expert").update(is_active=False)
    everyone = names(access_users(bureau))
    listed = names(user_list(actor=bureau, filters=filters))
    assert listed == (everyone if expected is None else expected)
    if filters.status == "inactive":
        assert names(user_list(actor=bureau, filters=UserFilter(status="active"))) == everyone - {"expert"}


def test_user_list_marks_locked_accounts_and_is_scoped(people: People) -> None:
    _fail_logins("firm")
    _fail_logins("city_bureau")
    listed = user_list(actor=people["bureau_officer"], filters=UserFilter())
    rows = {u.username: u.is_locked for u in listed}  # type: ignore[attr-defined]  # annotated
    assert rows["firm"] is True and rows["town"] is False
    assert "city_bureau" not in rows
    assert not user_list(actor=people["town_officer"], filters=UserFilter()).exists()
    everyone = user_filter(User.objects.all(), UserFilter(status="locked"))  # the CLI's view
    assert names(everyone) == {"firm", "city_bureau"}


# --- API tokens of other people ---------------------------------------------------------------


def test_token_revoke_is_for_the_owner_or_their_manager(people: People) -> None:
    token, _ = api_token_create(acting_user=None, user=people["town"])
    with pytest.raises(PermissionDenied):
        api_token_revoke(acting_user=people["expert"], token_id=token.pk)
    peers_token, _ = api_token_create(acting_user=None, user=people["bureau_officer"])
    with pytest.raises(PermissionDenied):
        api_token_revoke(acting_user=people["peer_bureau"], token_id=peers_token.pk)
    api_token_revoke(acting_user=people["bureau_officer"], token_id=token.pk)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
