"""An upload's bytes are hashed once (SM3, before the 201), written once, moved by a rename and
``fsync``'d once, with their directory (docs/adr/0017-upload-sm3-in-the-receive-pass.md)."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

from sifa.applications.models import ApplicationMaterial
from sifa.audit.models import AuditEvent

from .test_apply import _draft, _requested, _upload
from .upload_corpus import make_pdf


def _scanned_pdf(size: int) -> bytes:
    """A scan-like PDF of about ``size`` bytes: one image of incompressible pixels."""
    pixels = random.Random(17).randbytes(size)
    image = b"<< /Type /XObject /Subtype /Image /Width 1024 /Height %d /ColorSpace /DeviceGray " % (
        len(pixels) // 1024
    )
    image += b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (len(pixels), pixels)
    return make_pdf([image])


class _Counted:
    """A hash object that adds the bytes it is given to a shared count."""

    def __init__(self, inner, counts: dict[str, int], name: str) -> None:
        self._inner, self._counts, self._name = inner, counts, name

    def update(self, data) -> None:
        self._counts[self._name] = self._counts.get(self._name, 0) + len(data)
        self._inner.update(data)

    def __getattr__(self, attribute):
        return getattr(self._inner, attribute)


def test_an_upload_is_hashed_written_and_synced_once(world, settings, monkeypatch):
    data = _scanned_pdf(700 * 1024)  # eleven 64 KB chunks of the request body
    media = Path(settings.MEDIA_ROOT).resolve()
    counts: dict[str, int] = {}
    new, sha256 = hashlib.new, hashlib.sha256

    def counted_new(name, data=b"", **kwargs):
        hashed = _Counted(new(name, **kwargs), counts, name.lower())
        if data:
            hashed.update(data)
        return hashed

    def counted_sha256(data=b"", **kwargs):
        hashed = _Counted(sha256(**kwargs), counts, "sha256")
        if data:
            hashed.update(data)
        return hashed

    synced: list[str] = []
    fsync = os.fsync

    def counted_fsync(fd):
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.is_relative_to(media):
            synced.append("directory" if path.is_dir() else "file")
        return fsync(fd)

    moved: list[tuple[str, str]] = []
    replace = os.replace

    def counted_replace(source, target, **kwargs):
        if Path(target).resolve().is_relative_to(media):
            moved.append((Path(source).parent.name, Path(target).resolve().relative_to(media).as_posix()))
        return replace(source, target, **kwargs)

    draft = _draft(world)
    material = _requested(draft)[0]
    monkeypatch.setattr(hashlib, "new", counted_new)
    monkeypatch.setattr(hashlib, "sha256", counted_sha256)
    monkeypatch.setattr(os, "fsync", counted_fsync)
    monkeypatch.setattr(os, "replace", counted_replace)
    response = _upload(world["api"], draft["id"], material, data=data)
    monkeypatch.undo()

    assert response.status_code == 201, response.json()
    digest = hashlib.new("sm3", data).hexdigest()
    # SM3 of the stored bytes, computed before the answer: in the answer, on the row, in the audit
    # event that records the upload.
    assert response.json()["sm3"] == digest
    row = ApplicationMaterial.objects.get(pk=response.json()["id"])
    assert (row.sm3, row.size) == (digest, len(data))
    event = AuditEvent.objects.filter(action="application.material.upload").latest("seq")
    assert event.detail["sm3"] == digest
    # Once: the file's bytes went through SM3 one time (the little else hashed — the audit chain's
    # link, the token — is far below a 64 KB chunk), and through no other digest.
    assert len(data) <= counts.get("sm3", 0) < len(data) + 64 * 1024, counts
    assert counts.get("sha256", 0) < 64 * 1024, counts
    # Written once into the work folder, moved into place by a rename, durable before the 201:
    # the file's fsync and its directory's, nothing more.
    assert moved == [(".incoming", row.storage_key)]
    assert (media / row.storage_key).read_bytes() == data
    assert synced == ["file", "directory"]
