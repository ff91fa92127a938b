"""Notices to enterprises: an in-app inbox row written in the transaction of the change, and a
copy handed to an outbound adapter (SMS, WeChat …) after commit.

The adapter is chosen by the ``SHUZHUAN_NOTICE_ADAPTER`` setting (a dotted path to a class with
``send(*, enterprise_uscc, title, body)``); the default ``LogAdapter`` writes one log line, so an
intranet install needs no gateway. A failing adapter is logged and never undoes the change.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from shuzhuan.applications.models import Notice, StatusChange

logger = logging.getLogger("shuzhuan.notices")


class NoticeAdapter(Protocol):
    def send(self, *, enterprise_uscc: str, title: str, body: str) -> None: ...


class LogAdapter:
    def send(self, *, enterprise_uscc: str, title: str, body: str) -> None:
        logger.info("notice to %s: %s — %s", enterprise_uscc, title, body)


def notice_adapter() -> NoticeAdapter:
    path = getattr(settings, "SHUZHUAN_NOTICE_ADAPTER", "")
    return import_string(path)() if path else LogAdapter()


def _deliver(notice_id: int) -> None:
    notice = Notice.objects.select_related("enterprise").filter(pk=notice_id).first()
    if notice is None:
        return
    try:
        notice_adapter().send(enterprise_uscc=notice.enterprise.uscc, title=notice.title, body=notice.body)
    except Exception:  # an outbound gateway is outside our control; the inbox row stands
        logger.exception("notice %s could not be delivered", notice_id)


def notice_send(
    *, enterprise_id: int, title: str, body: str, application_id: int | None = None, link: str = ""
) -> Notice:
    """Write the inbox row now (call inside the change's transaction); deliver after commit.
    ``link``: a path inside the site the notice points to (the inbox shows it as a button)."""
    notice = Notice.objects.create(
        enterprise_id=enterprise_id, application_id=application_id, title=title, body=body, link=link
    )
    transaction.on_commit(lambda: _deliver(notice.pk))
    return notice


def notice_for_status_change(*, change: StatusChange) -> Notice:
    app = change.application
    title = f"申报 {app.number} {change.get_to_status_display()}"
    body = f"您的项目“{app.project_name}”状态已变更为“{change.get_to_status_display()}”。"
    if change.reason:
        body += f"意见：{change.reason}"
    return notice_send(enterprise_id=app.enterprise_id, title=title, body=body, application_id=app.pk)


def notice_mark_read(*, enterprise_id: int | None, notice_ids: list[int] | None = None) -> int:
    """Mark the enterprise's notices read (those of ``notice_ids``, or all); returns how many."""
    if enterprise_id is None:
        return 0
    qs = Notice.objects.filter(enterprise_id=enterprise_id, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=notice_ids)
    return qs.update(read_at=timezone.now())
