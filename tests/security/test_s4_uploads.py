"""S4 (security.md §6): the malicious upload corpus through the real upload routes.

Every sample of ``sifa.applications.tests.upload_corpus`` is posted as a citizen would, to the API
(``POST /api/v1/applications/{ref}/materials/``) and to the portal's materials page (the form
without JavaScript, ``/apply/drafts/{id}/materials/``). Malicious samples: a 400 with the sample's
stable code (the API's JSON; the page shows the Chinese message on the input), **no file** in the
store's directory and **no row** in the database. Neutralisable samples (a picture with a payload
appended) are stored re-encoded without the payload; benign ones are stored.

Mutation check: with the gate's checks replaced by "accept everything" the same sweep finds stored
files, so it bites.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
from pathlib import Path

import pytest
from django.http.multipartparser import MultiPartParser
from django.test import Client
from PIL import Image

from sifa.applications.models import ApplicationMaterial
from sifa.applications.tests.conftest import LAWYER_FULL_TIME, VALID_ID, lawyer_form
from sifa.applications.tests.upload_corpus import SAMPLES, Sample
from sifa.applications.uploads import gate
from sifa.catalogue.models import ImplementationEntry, Material
from sifa.testing import PersonFactory, api_client, load_catalogue, rolled_back, tree

API = "/api/v1/applications"
MALICIOUS = [s for s in SAMPLES if s.expect]
BENIGN = [s for s in SAMPLES if not s.expect]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        orgs = tree("ministry", "zj", "hz", "xh")
        load_catalogue()
        citizen = PersonFactory(
            name="张三", id_number=VALID_ID, phone="13800000001", region_code="330106"
        ).user
        entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
        api = api_client(citizen)
        response = api.post(
            f"{API}/drafts/",
            {"entry": entry.implementation_code, "form_data": lawyer_form()},
            format="json",
        )
        assert response.status_code == 201, response.json()
        draft = response.json()
        material = next(m["material"] for m in draft["materials"] if m["requested"])
        # S4 runs every type the gate takes through it: the material takes all four here (its own
        # 电子文件格式, pdf,jpg,png, refuses an OFD with material.format — test_apply covers that).
        Material.objects.filter(pk=material).update(file_format="pdf,jpg,png,ofd")
        yield {"citizen": citizen, "draft": draft, "material": material}


@pytest.fixture
def w(world, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world["media"] = Path(settings.MEDIA_ROOT)
    world["api"] = api_client(world["citizen"])
    page = Client()
    page.force_login(world["citizen"])
    world["page"] = page
    return world


def files_in(media: Path) -> list[str]:
    """Every file under the media root, work files included (a rejection must leave none)."""
    return (
        sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    )


BOUNDARY = "----sifa-s4-corpus"


def multipart(material: int, filename: str, data: bytes) -> bytes:
    """The request body a browser sends, with the file name exactly as given (a test client's
    ``SimpleUploadedFile`` would refuse or rewrite the hostile names before they are sent)."""
    name = filename.encode().replace(b'"', b"%22")
    return b"".join(
        [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="material"\r\n\r\n{material}\r\n'.encode(),
            f"--{BOUNDARY}\r\n".encode(),
            b'Content-Disposition: form-data; name="file"; filename="' + name + b'"\r\n',
            b"Content-Type: application/pdf\r\n\r\n",
            data,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )


def post(w, route: str, sample: Sample, data: bytes):
    body = multipart(w["material"], sample.filename, data)
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    if route == "api":
        return w["api"].generic("POST", f"{API}/{w['draft']['id']}/materials/", body, kind)
    return w["page"].generic("POST", f"/apply/drafts/{w['draft']['id']}/materials/", body, kind)


def rewritten_by_the_parser(filename: str) -> bool:
    """Django's multipart parser keeps only the last path component and drops unprintable
    characters before any application code sees the name (``MultiPartParser.sanitize_file_name``)."""
    return MultiPartParser.sanitize_file_name(None, filename) != filename


def sweep(w, settings, route: str, samples: list[Sample]) -> dict:
    """Post each malicious sample; count refusals with the right code, files and rows written.

    A sample whose hostile name the multipart parser rewrites (``../../etc/passwd.pdf`` arrives as
    ``passwd.pdf``) never reaches the gate with that name: it must be refused, or stored under a
    random key with the parser's harmless name ("neutralised by the parser")."""
    figures = {"samples": 0, "rejected": 0, "stored": 0, "neutralised": 0, "wrong": []}
    for sample in samples:
        settings.UPLOAD_MAX_BYTES = sample.max_bytes or 20 * 1024 * 1024
        rows = set(ApplicationMaterial.objects.values_list("pk", flat=True))
        files = set(files_in(w["media"]))
        response = post(w, route, sample, sample.build())
        figures["samples"] += 1
        new_rows = ApplicationMaterial.objects.exclude(pk__in=rows)
        new_files = set(files_in(w["media"])) - files
        if rewritten_by_the_parser(sample.filename) and response.status_code in (201, 302):
            row = new_rows.get()
            safe = MultiPartParser.sanitize_file_name(None, sample.filename)
            if row.display_name == safe and "/" not in row.storage_key.removeprefix("uploads/")[8:]:
                figures["neutralised"] += 1
            else:
                figures["wrong"].append((sample.id, row.display_name, row.storage_key))
            continue
        figures["stored"] += len(new_files) + new_rows.count()
        if response.status_code not in (400, 413):
            figures["wrong"].append((sample.id, response.status_code))
            continue
        if route == "api" and not rewritten_by_the_parser(sample.filename):
            body = response.json()
            codes = {body.get("code"), *(e.get("code") for e in body.get("errors", []))}
            if sample.expect not in codes:
                figures["wrong"].append((sample.id, body))
                continue
        figures["rejected"] += 1
    return figures


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("route", ["api", "page"])
def test_every_malicious_sample_is_refused_and_nothing_is_written(w, settings, route):
    assert len(MALICIOUS) >= 50
    figures = sweep(w, settings, route, MALICIOUS)
    print(
        f"S4 uploads via the {route}: {figures['samples']} malicious samples, {figures['rejected']} rejected "
        f"with their code, {figures['neutralised']} stored under the parser's harmless name, "
        f"{figures['stored']} hostile files or rows stored",
        file=sys.__stdout__,
    )
    assert figures["wrong"] == []
    assert figures["rejected"] + figures["neutralised"] == len(MALICIOUS)
    assert figures["rejected"] >= len(MALICIOUS) - 5
    assert figures["stored"] == 0


def test_the_api_names_the_stable_code_and_a_chinese_message(w, settings):
    sample = next(s for s in MALICIOUS if s.id == "pdf-open-uri")
    response = post(w, "api", sample, sample.build())
    body = response.json()
    assert response.status_code == 400
    assert sample.expect in (body["code"], body["errors"][0]["code"])
    assert body["errors"][0]["field"] == "file"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["errors"][0]["message"])


def test_the_page_shows_the_refusal_on_the_input(w, settings):
    sample = next(s for s in MALICIOUS if s.id == "eicar-as-pdf")
    response = post(w, "page", sample, sample.build())
    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="m-{w["material"]}-error"' in page
    assert files_in(w["media"]) == []


@pytest.mark.parametrize("route", ["api", "page"])
def test_benign_and_neutralised_samples_are_stored_safely(w, settings, route):
    stored = 0
    for sample in BENIGN:
        data = sample.build()
        before = set(ApplicationMaterial.objects.values_list("pk", flat=True))
        response = post(w, route, sample, data)
        assert response.status_code in (201, 302), (sample.id, response.status_code)
        row = ApplicationMaterial.objects.exclude(pk__in=before).get()
        content = (w["media"] / row.storage_key).read_bytes()
        assert row.sm3 == hashlib.new("sm3", content).hexdigest()
        if row.content_type in ("image/jpeg", "image/png"):
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
        else:
            assert content == data, sample.id
        if sample.payload:
            assert sample.payload not in content, sample.id
        assert not os.access(w["media"] / row.storage_key, os.X_OK)
        stored += 1
    print(
        f"S4 uploads via the {route}: {stored} benign or neutralised samples accepted "
        f"({sum(1 for s in BENIGN if s.payload)} stored re-encoded without their payload)",
        file=sys.__stdout__,
    )
    assert stored == len(BENIGN)


def accept_everything(fileobj, filename, limits, work_dir, kinds=None):
    """The mutant gate: spool the bytes and call them a PDF, without a single check."""
    fd, path = gate._new_work_file(work_dir)
    gate._rewind(fileobj)
    data = fileobj.read()
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    digest = hashlib.new("sm3", data).hexdigest()
    return gate._Checked(path, gate.FileKind.PDF, "x.pdf", len(data), digest, digest)


@pytest.mark.parametrize("route", ["api", "page"])
def test_mutant_gate_that_accepts_everything_is_caught(w, settings, route, monkeypatch):
    monkeypatch.setattr(gate, "_check", accept_everything)
    samples = [s for s in MALICIOUS if not s.max_bytes and not rewritten_by_the_parser(s.filename)][:12]
    figures = sweep(w, settings, route, samples)
    print(
        f"S4 mutant gate via the {route}: {figures['stored']} files or rows stored from {len(samples)} "
        "malicious samples (the sweep fails, as it must)",
        file=sys.__stdout__,
    )
    assert figures["stored"] > 0 and figures["rejected"] < len(samples)
