"""Open data that downloads: precomputed gzip, ETag / Last-Modified with 304, the catalogue split
into items and per-province implementation files that add up to the whole, and the changes feed."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from sifa.catalogue import opendata, opendata_files
from sifa.catalogue.models import CatalogueItem, EntryStatus, ImplementationEntry, VersionStatus
from sifa.catalogue.services import withdraw_version


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_catalogue_json_is_served_gzipped_and_answers_304_on_repeat(cat, client):
    plain = client.get("/open-data/catalogue.json")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert "Accept-Encoding" in plain["Vary"] and plain["ETag"] and plain["Last-Modified"]
    whole = _body(plain)

    packed = client.get("/open-data/catalogue.json", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip" and packed["Content-Type"].startswith("application/json")
    raw = _body(packed)
    assert int(packed["Content-Length"]) == len(raw) < len(whole) / 3
    assert gzip.decompress(raw) == whole
    assert packed["ETag"] != plain["ETag"]  # two representations, two validators

    again = client.get(
        "/open-data/catalogue.json", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]
    )
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == packed["ETag"]
    since = client.get("/open-data/catalogue.json", HTTP_IF_MODIFIED_SINCE=plain["Last-Modified"])
    assert since.status_code == 304
    # gzip;q=0 refuses compression; HEAD answers the headers only.
    assert "Content-Encoding" not in client.get("/open-data/catalogue.json", HTTP_ACCEPT_ENCODING="gzip;q=0")
    assert client.head("/open-data/catalogue.json").status_code == 200


def test_a_change_to_the_catalogue_is_a_new_etag_and_a_new_snapshot(cat, client, var_dir):
    first = client.get("/open-data/catalogue.json")
    built = {p.name for p in opendata_files.root().iterdir()}
    entry = ImplementationEntry.objects.order_by("implementation_code").first()
    ImplementationEntry.objects.filter(pk=entry.pk).update(updated_at=timezone.now())
    second = client.get("/open-data/catalogue.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    # The old snapshot is gone; only the current one stays.
    assert {p.name for p in opendata_files.root().iterdir()}.isdisjoint(built)
    assert len(list(opendata_files.root().iterdir())) == 1


def test_build_command_prepares_the_files_before_the_first_download(cat, client):
    call_command("build-open-data", verbosity=0)
    mark = opendata_files.fingerprint()
    assert (opendata_files.root() / mark.key / "catalogue.json.gz").exists()
    call_command("build-open-data", verbosity=0)  # unchanged catalogue: nothing to do
    assert [p.name for p in opendata_files.root().iterdir()] == [mark.key]


def test_split_files_add_up_to_the_whole(cat, client):
    whole = json.loads(_body(client.get("/open-data/catalogue.json")))
    index = json.loads(_body(client.get("/open-data/index.json")))
    assert index["catalogue"]["implementations"] == len(whole["implementations"])
    items_response = client.get(index["items"]["url"])
    items = json.loads(_body(items_response))
    assert items["items"] == whole["items"] and items["part"] == "items"
    provinces = {p["province"]: p for p in index["implementations"]}
    assert {"330000", "110000"} <= set(provinces)
    assert provinces["330000"]["name"] == "浙江省"
    joined = []
    for code, listed in provinces.items():
        response = client.get(listed["url"], HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        part = json.loads(gzip.decompress(_body(response)))
        assert part["province"] == code and len(part["implementations"]) == listed["implementations"]
        for entry in part["implementations"]:
            assert opendata_files.province_of(entry["region"]) == code
        joined += part["implementations"]
    key = "implementation_code"
    assert sorted(joined, key=lambda e: e[key]) == sorted(whole["implementations"], key=lambda e: e[key])
    assert client.get("/open-data/implementations/990000.json").status_code == 404


def test_changes_feed_lists_what_changed_and_what_was_removed(cat, client):
    since = timezone.now()
    quiet = client.get("/open-data/changes.json", {"since": since.isoformat()}).json()
    assert quiet["items"] == quiet["implementations"] == quiet["removed_implementations"] == []
    assert quiet["format"] == "sifa.catalogue.changes" and quiet["next"] is None

    entries = list(
        ImplementationEntry.objects.filter(status=EntryStatus.ACTIVE).order_by("implementation_code")
    )
    now = timezone.now() + dt.timedelta(milliseconds=1)
    ImplementationEntry.objects.filter(pk=entries[0].pk).update(updated_at=now)
    ImplementationEntry.objects.filter(pk=entries[1].pk).update(updated_at=now, status=EntryStatus.WITHDRAWN)
    live = entries[2].item.versions.get(status=VersionStatus.PUBLISHED)
    withdraw_version(live, system=True)

    feed = client.get("/open-data/changes.json", {"since": since.isoformat()}).json()
    changed = {e["implementation_code"] for e in feed["implementations"]}
    assert entries[0].implementation_code in changed
    assert entries[1].implementation_code in feed["removed_implementations"]
    assert entries[2].implementation_code in feed["removed_implementations"]
    assert feed["removed_items"] == [entries[2].item.basic_code]
    assert feed["until"] >= feed["since"]
    whole = {e["implementation_code"]: e for e in opendata.export_catalogue()["implementations"]}
    for entry in feed["implementations"]:
        assert whole[entry["implementation_code"]] == entry  # the same shape as catalogue.json

    # Pages: every changed entry exactly once, following next_after.
    seen, after = [], ""
    while True:
        page = opendata.changes(since, after=after, limit=2)
        seen += [e["implementation_code"] for e in page["implementations"]] + page["removed_implementations"]
        if not page["next_after"]:
            break
        after = page["next_after"]
    expected = ImplementationEntry.objects.filter(updated_at__gte=since).values_list(
        "implementation_code", flat=True
    )
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert CatalogueItem.objects.filter(updated_at__gte=since).count() == 1


def test_changes_feed_refuses_a_missing_or_bad_since_in_json(cat, client):
    for query in ({}, {"since": "昨天"}, {"since": "2026-01-01", "after": "../x"}):
        response = client.get("/open-data/changes.json", query)
        assert response.status_code == 400, query
        assert response.json()["code"].startswith("catalogue.changes.")
