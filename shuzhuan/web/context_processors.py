from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# Which navigation item is active on which page (URL names of the ``web`` namespace).
_NAV_KEY_BY_URL_NAME = {
    "home": "home",
    "enterprise_list": "enterprises",
    "enterprise_detail": "enterprises",
    "enterprise_create": "enterprises",
    "enterprise_edit": "enterprises",
    "qualification_add": "enterprises",
    "enterprise_export": "enterprises",
    "my_enterprise": "enterprises",
    "enterprise_import": "import",
    "user_list": "users",
    "user_create": "users",
    "user_edit": "users",
    "user_password": "users",
    "policy_list": "policies",
    "policy_edition": "policies",
    "policy_edition_new": "policies",
    "policy_edition_parameter": "policies",
    "policy_edition_publish": "policies",
    "policy_calc": "calc",
    "batch_list": "batches",
    "batch_create": "batches",
    "batch_detail": "batches",
    "application_list": "applications",
    "application_create": "applications",
    "application_detail": "applications",
    "application_edit": "applications",
    "review_list": "reviews",
    "review_detail": "reviews",
    "notice_list": "notices",
    "funds": "funds",
    "matching": "matching",
    "match_run_start": "matching",
    "match_run": "matching",
    "match_push": "matching",
    "match_auto_grant": "matching",
    "match_changes": "matching",
    "match_policy": "matching",
    "cockpit": "cockpit",
    "cockpit_records": "cockpit",
    "cockpit_records_export": "cockpit",
    "activities": "activities",
    "activity_event": "activities",
    "activity_event_new": "activities",
    "activity_registration_add": "activities",
    "activity_attendance": "activities",
    "activity_class": "activities",
    "activity_class_new": "activities",
    "activity_trainee_add": "activities",
    "activity_trainee_outcome": "activities",
    "activity_certifications": "activities",
    "cockpit_peers": "cockpit",
    "cockpit_peers_template": "cockpit",
    "cockpit_reports": "cockpit",
    "cockpit_report_task": "cockpit",
    "cockpit_report_download": "cockpit",
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    from shuzhuan.accounts.access import Perm, access_has, access_navigation

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "active_nav": ""}
    match = getattr(request, "resolver_match", None)
    active = ""
    if match is not None and match.namespace == "web":
        active = _NAV_KEY_BY_URL_NAME.get(match.url_name or "", "")
    context: dict[str, Any] = {"nav_items": access_navigation(user), "active_nav": active}
    if access_has(user, Perm.NOTICE_INBOX):
        from shuzhuan.applications.selectors import notices_unread_count

        context["unread_notices"] = notices_unread_count(user.enterprise_id)
    return context
