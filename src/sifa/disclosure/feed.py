"""Atom 1.0 feeds of published notices (RFC 4287), with absolute addresses built from the configured
public base URL (``settings.PUBLIC_URL``, ``SIFA_PUBLIC_URL``) — never from the request's Host
header, which a client chooses.

Django's ``Atom1Feed`` writes the required elements: the feed's ``id``, ``title``, ``updated``
(the newest entry, or now when there is none), ``author`` and ``link rel="self"``/``alternate``;
each entry's ``id`` (``urn:uuid:`` of the notice's public id, stable for ever), ``title``,
``updated``, ``published``, ``author`` (the publishing organisation), ``link`` and ``summary``
(plain text), and the category (栏目).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from sifa.disclosure import markup
from sifa.disclosure.models import Notice
from sifa.organisations.models import Organisation

ENTRIES = 50


def base_url() -> str:
    return str(settings.PUBLIC_URL).rstrip("/")


def atom(notices: Iterable[Notice], organisation: Organisation | None = None) -> bytes:
    base = base_url()
    if organisation is None:
        title, page, path = "司法行政政务公开", f"{base}/disclosure/", "/disclosure/feed.atom"
        feed_id = f"{base}/disclosure/feed.atom"
    else:
        title = f"{organisation.name}政务公开"
        page = f"{base}/disclosure/{organisation.pk}/"
        path = f"/disclosure/{organisation.pk}/feed.atom"
        feed_id = f"{base}{path}"
    feed = Atom1Feed(
        title=title,
        link=page,
        description=f"{title}：通知公告、政策解读、工作动态",
        feed_url=f"{base}{path}",
        feed_guid=feed_id,
        language="zh-hans",
        author_name=organisation.name if organisation else "中华人民共和国司法部",
    )
    for notice in list(notices)[:ENTRIES]:
        published = timezone.localtime(notice.published_at)
        feed.add_item(
            title=notice.title,
            link=f"{base}/disclosure/notices/{notice.public_id}/",
            description=markup.plain(notice.body, 300),
            unique_id=f"urn:uuid:{notice.public_id}",
            unique_id_is_permalink=False,
            pubdate=published,
            updateddate=published,
            author_name=notice.organisation.name,
            categories=[notice.get_category_display()],
        )
    return feed.writeString("utf-8").encode()
