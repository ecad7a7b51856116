"""Signing keys with ids, validity and rotation, stored as files — never in the database.

A key directory holds, per key, ``<key_id>.pem`` (PKCS#8, mode 0600; a retired key may keep only
its ``PUBLIC KEY``) and ``<key_id>.json``::

    {"key_id": "sm2-2026-11-1a2b3c4d", "algorithm": "SM2-with-SM3", "status": "active",
     "valid_from": "2026-11-27T08:00:00+00:00", "valid_until": null}

Exactly one key is ``active`` and signs; ``retired`` keys only verify, so a signature made before
a rotation stays verifiable for as long as its key file is kept. Rotation and loading take an
``fcntl`` lock on ``<dir>/.lock`` so that web workers never see a half-rotated directory, and a
worker reloads the directory when its modification time changes (``sifa keys rotate`` runs in
another process).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sifa.core.signing.base import SM2_WITH_SM3, KeyRingError, Signer, SigningError, UnknownKeyError, Verifier
from sifa.core.signing.registry import (
    generate_signer,
    get_algorithm,
    key_id_matches,
    load_signer,
    load_verifier,
)

logger = logging.getLogger("sifa.core.signing")

Status = Literal["active", "retired"]
STATUSES = ("active", "retired")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


DEVELOPMENT_BACKDATE = dt.timedelta(days=400)
"""The key development makes on first use is valid from this long before it was made, so the demo
history (cases of last month, ``sifa.demo.history``) can be signed under its own dates. A key made
by ``sifa keys rotate`` (production, and the tests' key of the run) is valid from the moment it is
made."""


@dataclass(frozen=True)
class KeyInfo:
    """What is public about a key: the entry ``GET /api/v1/keys/`` serves."""

    key_id: str
    algorithm: str
    public_key_pem: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    status: Status

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["valid_from"] = self.valid_from.isoformat()
        data["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        return data

    def metadata(self) -> dict[str, Any]:
        data = self.as_dict()
        del data["public_key_pem"]
        return data


@dataclass(frozen=True)
class _Entry:
    info: KeyInfo
    verifier: Verifier
    signer: Signer | None


def _parse_time(value: Any, name: str, file: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise KeyRingError(
            "signing.bad_metadata", f"密钥元数据 {file} 的 {name} 不是 ISO 8601 时间"
        ) from None
    if parsed.tzinfo is None:
        raise KeyRingError("signing.bad_metadata", f"密钥元数据 {file} 的 {name} 缺少时区")
    return parsed


def _write_private(path: Path, text: str) -> None:
    # O_EXCL: never overwrite an existing key; 0600 from the first byte, not chmod afterwards.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class KeyRing:
    """The signing keys of one directory. Thread-safe; cheap to call on every request."""

    def __init__(self, directory: Path, *, generate: bool = False, algorithm: str = SM2_WITH_SM3) -> None:
        self.directory = Path(directory)
        self.generate = generate
        self.algorithm = get_algorithm(algorithm).name
        self._entries: dict[str, _Entry] = {}
        self._stamp: int | None = None
        self._mutex = threading.Lock()
        self._forced_at = 0.0

    def __repr__(self) -> str:
        return f"<KeyRing {self.directory} keys={sorted(self._entries)}>"

    # --- reading -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.directory / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _directory_stamp(self) -> int | None:
        try:
            return self.directory.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _refresh(self, force: bool = False) -> dict[str, _Entry]:
        with self._mutex:
            stamp = self._directory_stamp()
            if force or stamp is None or stamp != self._stamp:
                if stamp is None and not self.generate:
                    raise KeyRingError("signing.not_configured", f"签名密钥目录不存在：{self.directory}")
                with self._locked(exclusive=False):
                    self._entries = self._load()
                # Stat again after the lock: the lock file's creation may have changed the stamp.
                self._stamp = self._directory_stamp()
            return self._entries

    def _load(self) -> dict[str, _Entry]:
        entries: dict[str, _Entry] = {}
        for meta_path in sorted(self.directory.glob("*.json")):
            entry = self._load_one(meta_path)
            entries[entry.info.key_id] = entry
        active = [e.info.key_id for e in entries.values() if e.info.status == "active"]
        if len(active) > 1:
            raise KeyRingError(
                "signing.several_active_keys", f"签名密钥目录中有多个启用的密钥：{', '.join(active)}"
            )
        return entries

    def _load_one(self, meta_path: Path) -> _Entry:
        file = meta_path.name
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyRingError("signing.bad_metadata", f"无法读取密钥元数据 {file}") from None
        key_id = meta_path.stem
        if not isinstance(meta, dict) or meta.get("key_id", key_id) != key_id:
            raise KeyRingError("signing.key_id_mismatch", f"密钥元数据 {file} 中的 key_id 与文件名不一致")
        status = meta.get("status")
        if status not in STATUSES:
            raise KeyRingError("signing.bad_metadata", f"密钥元数据 {file} 的 status 应为 active 或 retired")
        pem_path = meta_path.with_suffix(".pem")
        try:
            pem_text = pem_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise KeyRingError("signing.missing_key_file", f"缺少密钥文件 {pem_path.name}") from None
        signer: Signer | None = None
        try:
            if "PRIVATE KEY" in pem_text:
                if pem_path.stat().st_mode & 0o077:
                    logger.warning("private key file %s is readable by group or others", pem_path.name)
                signer = load_signer(pem_text, key_id)
                verifier = signer.verifier()
            else:
                verifier = load_verifier(pem_text, key_id)
        except SigningError as error:
            # The message names the file and the problem, never the key bytes.
            raise KeyRingError(error.code, f"{pem_path.name}：{error.message}") from None
        if status == "active" and signer is None:
            raise KeyRingError("signing.missing_key_file", f"启用的密钥 {key_id} 没有私钥文件")
        if not key_id_matches(key_id, verifier.public_key_der()):
            raise KeyRingError("signing.key_id_mismatch", f"密钥文件 {pem_path.name} 的公钥与密钥标识不符")
        algorithm = meta.get("algorithm", verifier.algorithm)
        if algorithm != verifier.algorithm:
            raise KeyRingError("signing.bad_metadata", f"密钥元数据 {file} 的算法与密钥文件不符")
        valid_from = _parse_time(meta.get("valid_from"), "valid_from", file)
        if valid_from is None:
            raise KeyRingError("signing.bad_metadata", f"密钥元数据 {file} 缺少 valid_from")
        info = KeyInfo(
            key_id=key_id,
            algorithm=verifier.algorithm,
            public_key_pem=verifier.public_key_pem(),
            valid_from=valid_from,
            valid_until=_parse_time(meta.get("valid_until"), "valid_until", file),
            status=status,
        )
        return _Entry(info, verifier, signer)

    # --- using -------------------------------------------------------------------------------

    def signer(self) -> Signer:
        """The active signer; in development the first call creates a key."""
        active = [e for e in self._refresh().values() if e.info.status == "active"]
        if not active and self.generate:
            self._rotate(None, first_only=True)
            active = [e for e in self._refresh().values() if e.info.status == "active"]
        if not active:
            raise KeyRingError("signing.no_active_key", "没有启用的签名密钥，请运行 `sifa keys rotate`")
        entry = active[0]
        now = _now()
        if entry.info.valid_from > now or (entry.info.valid_until and entry.info.valid_until <= now):
            raise KeyRingError("signing.key_expired", f"启用的签名密钥 {entry.info.key_id} 不在有效期内")
        assert entry.signer is not None  # _load_one refuses an active key without a private key
        return entry.signer

    def sign(self, data: bytes) -> tuple[str, bytes]:
        """Sign with the active key; return (key_id, signature)."""
        signer = self.signer()
        return signer.key_id, signer.sign(data)

    def verifier(self, key_id: str) -> Verifier:
        """The verifier for ``key_id`` (active or retired); unknown ids raise ``signing.unknown_key``."""
        entry = self._refresh().get(key_id)
        if entry is None and time.monotonic() - self._forced_at > 1.0:
            # Another process may have rotated within the file system's timestamp resolution.
            # At most once a second, so made-up key ids cannot make every request reload keys.
            self._forced_at = time.monotonic()
            entry = self._refresh(force=True).get(key_id)
        if entry is None:
            raise UnknownKeyError(str(key_id))
        return entry.verifier

    def verify(self, key_id: str, data: bytes, signature: bytes) -> bool:
        return self.verifier(key_id).verify(data, signature)

    def keys(self) -> list[KeyInfo]:
        """Every key, newest first."""
        return sorted((e.info for e in self._refresh().values()), key=lambda i: i.valid_from, reverse=True)

    def public_keys(self) -> list[dict[str, Any]]:
        """[{key_id, algorithm, public_key_pem, valid_from, valid_until, status}] for the keys endpoint."""
        return [info.as_dict() for info in self.keys()]

    # --- changing ----------------------------------------------------------------------------

    def rotate(self, algorithm: str | None = None) -> KeyInfo:
        """Create a new active key and retire the current one (its ``valid_until`` becomes now)."""
        return self._rotate(algorithm, first_only=False)

    def _rotate(self, algorithm: str | None, *, first_only: bool) -> KeyInfo:
        """The new key's files are written before the old key is retired, all under the exclusive
        lock, so a reader sees either the old or the new state. ``first_only`` is the development
        first-use path: if another process created a key while we waited for the lock, keep it; the
        key it makes is valid from :data:`DEVELOPMENT_BACKDATE` before."""
        algorithm = get_algorithm(algorithm or self.algorithm).name
        with self._locked(exclusive=True):
            current = self._load()
            active = [e.info for e in current.values() if e.info.status == "active"]
            if first_only and active:
                return active[0]
            now = _now()
            signer = generate_signer(algorithm, now)
            valid_from = now - DEVELOPMENT_BACKDATE if first_only else now
            info = KeyInfo(signer.key_id, algorithm, signer.public_key_pem(), valid_from, None, "active")
            _write_private(self.directory / f"{signer.key_id}.pem", signer.private_key_pem())
            for old in active:
                retired = replace(old, status="retired", valid_until=now)
                _write_json(self.directory / f"{retired.key_id}.json", retired.metadata())
                logger.info("signing key %s retired", retired.key_id)
            _write_json(self.directory / f"{info.key_id}.json", info.metadata())
        logger.info("signing key %s (%s) created and active", info.key_id, algorithm)
        self._refresh(force=True)
        return info


def _default_directory() -> tuple[Path, bool]:
    from django.conf import settings

    configured = settings.SIGNING_KEY_DIR
    development = bool(settings.DEBUG or settings.TESTING)
    if configured:
        return Path(configured), False
    if development:
        return Path(settings.VAR_DIR) / "keys" / "signing", True
    raise KeyRingError("signing.not_configured", "生产环境必须设置 SIFA_SIGNING_KEY_DIR（签名密钥目录）")


@lru_cache(maxsize=1)
def default_keyring() -> KeyRing:
    """The process-wide key ring: SIFA_SIGNING_KEY_DIR in production; in development and tests
    ``SIFA_VAR_DIR/keys/signing``, with an SM2 key generated on first use."""
    from django.conf import settings

    directory, generate = _default_directory()
    return KeyRing(directory, generate=generate, algorithm=settings.SIGNING_ALGORITHM)
