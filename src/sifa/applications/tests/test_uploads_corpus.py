"""S4: every malicious sample is refused with the right code and leaves the store untouched;
benign samples are stored; neutralised images are stored re-encoded without their payload."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from sifa.applications.uploads import FileSystemUploadStore, store_upload
from sifa.applications.uploads.store import KEY_PATTERN

from .upload_corpus import SAMPLES, Sample


def stored_files(store: FileSystemUploadStore) -> list[str]:
    if not store.root.exists():
        return []
    return sorted(str(path.relative_to(store.root)) for path in store.root.rglob("*") if path.is_file())


@pytest.fixture
def store(tmp_path) -> FileSystemUploadStore:
    return FileSystemUploadStore(tmp_path / "media")


def test_corpus_is_large_enough():
    malicious = [sample for sample in SAMPLES if sample.expect]
    assert len(SAMPLES) >= 50 and len(malicious) >= 50
    assert len({sample.id for sample in SAMPLES}) == len(SAMPLES)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.expect], ids=lambda s: s.id)
def test_malicious_sample_is_rejected_and_nothing_is_written(sample: Sample, store):
    before = stored_files(store)
    verdict = store_upload(
        io.BytesIO(sample.build()), sample.filename, max_bytes=sample.max_bytes, store=store
    )
    assert not verdict.accepted
    assert verdict.code == sample.expect, verdict.detail
    assert verdict.message  # Chinese text for the applicant
    assert verdict.stored is None
    assert stored_files(store) == before


@pytest.mark.parametrize("sample", [s for s in SAMPLES if not s.expect], ids=lambda s: s.id)
def test_benign_sample_is_stored(sample: Sample, store):
    data = sample.build()
    verdict = store_upload(io.BytesIO(data), sample.filename, store=store)
    assert verdict.accepted, (verdict.code, verdict.detail)
    stored = verdict.stored
    assert stored is not None
    content = (store.media_root / stored.key).read_bytes()
    assert stored.size == len(content)
    assert stored.sm3 == hashlib.new("sm3", content).hexdigest()
    assert stored.source_sm3 == hashlib.new("sm3", data).hexdigest()
    assert stored.display_name == sample.filename
    # The stored name is a random id, never the applicant's.
    assert KEY_PATTERN.match(stored.key)
    assert stored_files(store) == [stored.key.removeprefix("uploads/")]
    if stored.kind.value in ("jpeg", "png"):
        with Image.open(io.BytesIO(content)) as image:  # a clean re-encoding of the same picture
            assert image.format == stored.kind.name and not image.info.get("exif")
    else:
        assert content == data
    if sample.payload:
        assert sample.payload not in content
