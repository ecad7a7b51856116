"""The simulator's own SQLite file: every message it accepted with its answer, every message it sent.

``received`` has one row per ``(sender, message_id)`` (the primary key), written before the answer
leaves, so a killed-and-restarted simulator answers a repeated message with the same answer and
never holds two copies. The file is in WAL mode with ``synchronous=NORMAL``: a commit is in the WAL
before the answer leaves, so a killed simulator (the chaos test kills it) keeps every answer it
gave; only an OS crash could lose the newest ones. That is a stand-in's durability, chosen so that
W9's partner costs no fsync per message (docs/performance.md, issue 13, session 9): a real partner
keeps its answers as its own rules say, which is no part of Sifa's cost.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    header TEXT NOT NULL,
    signature BLOB NOT NULL,
    service TEXT NOT NULL,
    answer TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (sender, message_id)
);
CREATE TABLE IF NOT EXISTS sent (
    message_id TEXT PRIMARY KEY,
    receiver TEXT NOT NULL,
    service TEXT NOT NULL,
    envelope TEXT NOT NULL,
    answer TEXT,
    sent_at TEXT NOT NULL
);
"""


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def seen(self, sender: str, message_id: str) -> tuple[str, bytes, str] | None:
        """``(header, signature, answer)`` of a message already accepted, or None."""
        row = (
            self._connect()
            .execute(
                "SELECT header, signature, answer FROM received WHERE sender = ? AND message_id = ?",
                (sender, message_id),
            )
            .fetchone()
        )
        return (row[0], bytes(row[1]), row[2]) if row else None

    def keep(
        self, sender: str, message_id: str, header: str, signature: bytes, service: str, answer: str, at: str
    ) -> tuple[str, bytes, str]:
        """Store a message with its answer; if the id was stored meanwhile, return what was stored."""
        db = self._connect()
        try:
            db.execute(
                "INSERT INTO received (sender, message_id, header, signature, service, answer, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sender, message_id, header, signature, service, answer, at),
            )
        except sqlite3.IntegrityError:
            stored = self.seen(sender, message_id)
            assert stored is not None
            return stored
        return header, signature, answer

    def count(self, service: str | None = None) -> int:
        db = self._connect()
        if service is None:
            return db.execute("SELECT COUNT(*) FROM received").fetchone()[0]
        return db.execute("SELECT COUNT(*) FROM received WHERE service = ?", (service,)).fetchone()[0]

    def copies(self, sender: str, message_id: str) -> int:
        return (
            self._connect()
            .execute(
                "SELECT COUNT(*) FROM received WHERE sender = ? AND message_id = ?", (sender, message_id)
            )
            .fetchone()[0]
        )

    def record_sent(self, message_id: str, receiver: str, service: str, envelope: str, at: str) -> None:
        self._connect().execute(
            "INSERT OR IGNORE INTO sent (message_id, receiver, service, envelope, sent_at) VALUES (?, ?, ?, ?, ?)",
            (message_id, receiver, service, envelope, at),
        )

    def record_answer(self, message_id: str, answer: str) -> None:
        self._connect().execute("UPDATE sent SET answer = ? WHERE message_id = ?", (answer, message_id))

    def was_sent_to(self, message_id: str, receiver: str) -> bool:
        row = (
            self._connect()
            .execute("SELECT 1 FROM sent WHERE message_id = ? AND receiver = ?", (message_id, receiver))
            .fetchone()
        )
        return row is not None
