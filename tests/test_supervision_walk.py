"""The supervision pages (issue 12) walked as their users walk them, in January 2027 (the month a
year turns and next year's calendar is still 暂定): an anonymous visitor, the citizen, the county's
and the 司法所's staff, the city's supervisor, the province and its inspector start from their
pages — 我的空间, the workbench, 投诉举报, 12348, 政务公开 and its open data — and follow every link
that stays in the supervision areas (ratings, rectifications, complaints, indicators, inspections,
consultations, disclosure). No page answers 5xx, no link found on a page leads to a 404, and no
workbench page shows an API address or a login name (``demo-…``) where a person reads it.

On the probes' world (``probe_world_module``: the demo data, built once per process)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from sifa.accounts.models import User
from sifa.testing.clock import travel
from sifa.testing.login import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=40)]

AREAS = (
    "/workbench/indicators",
    "/workbench/inspections",
    "/workbench/complaints",
    "/workbench/rectifications",
    "/workbench/disclosure",
    "/workbench/ratings",
    "/workbench/consultations",
    "/disclosure",
    "/complaints",
    "/rate",
    "/me/complaints",
    "/me",
    "/consultations",
)
STARTS = (
    "/workbench/",
    "/disclosure/",
    "/disclosure/opendata/",
    "/complaints/new/",
    "/complaints/track/",
    "/me/",
    "/consultations/",
)
PAGES_PER_USER = 150


class _Page(HTMLParser):
    """The links of a page and the text a person reads (no scripts, styles or attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _walk(client: Client, who: str) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    queue: list[tuple[str, str]] = [(url, "") for url in STARTS]
    while queue and len(seen) < PAGES_PER_USER:
        url, found_on = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500 or (response.status_code == 404 and found_on):
            problems.append(f"{who}: {response.status_code} {url} (linked from {found_on or '-'})")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        text = " ".join(page.text)
        if url.startswith("/workbench/"):
            for internal in ("/api/v1/", "demo-"):
                if internal in text:
                    problems.append(f"{who}: {url} shows {internal!r} to the reader")
        for href in page.links:
            parts = urlsplit(urljoin(url, href))
            if parts.scheme or parts.netloc or "logout" in parts.path:
                continue
            if any(parts.path.startswith(area) for area in AREAS):
                queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), url))
    return problems


def test_the_supervision_pages_have_no_dead_ends_in_january_2027(probe_world_module):
    world = probe_world_module
    people = {
        "anonymous": None,
        "citizen": world.users["citizen"],
        "county": world.users["staff-county"],
        "township": world.users["staff-township"],
        "city-supervisor": User.objects.get(username="demo-city-supervisor"),
        "province": world.users["staff-province"],
        "inspector": world.users["staff-inspector"],
    }
    problems: list[str] = []
    with travel(dt.date(2027, 1, 15)):
        for who, user in people.items():
            client = Client()
            if user is not None and user.kind == "staff":
                verified_login(client, user)
            elif user is not None:
                client.force_login(user)
            problems += _walk(client, who)
    assert not problems, "\n".join(problems)
