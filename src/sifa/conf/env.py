"""Every environment variable Sifa reads, declared once with its help text.

``docs/configuration.md`` is generated from these declarations (``sifa config-docs``) and a
test fails when the committed file is stale. Read a value with ``env("NAME")``; reading an
undeclared name is a programming error and raises at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["str", "bool", "int", "path", "list"]

BASE_DIR = Path(__file__).resolve().parents[3]
"""The project root (the folder holding ``src/``)."""


@dataclass(frozen=True)
class Setting:
    name: str
    kind: Kind
    default: Any
    help: str
    group: str = "通用 General"
    secret: bool = False

    def parse(self, raw: str) -> Any:
        if self.kind == "bool":
            value = raw.strip().lower()
            if value in {"1", "true", "yes", "on"}:
                return True
            if value in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"{self.name}: expected a boolean, got {raw!r}")
        if self.kind == "int":
            return int(raw)
        if self.kind == "path":
            return Path(raw).expanduser()
        if self.kind == "list":
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw


DECLARED: dict[str, Setting] = {}


def declare(
    name: str, kind: Kind, default: Any, help: str, group: str = "通用 General", secret: bool = False
) -> Setting:
    setting = Setting(name, kind, default, help, group, secret)
    DECLARED[name] = setting
    return setting


def env(name: str) -> Any:
    setting = DECLARED[name]
    raw = os.environ.get(name)
    if raw is None:
        return setting.default
    return setting.parse(raw)


# --- general -------------------------------------------------------------------------------
declare(
    "SIFA_DEBUG",
    "bool",
    False,
    "Development mode: detailed error pages, demo accounts allowed, keys generated locally. "
    "Never on in production. `make run` turns it on.",
)
declare(
    "SIFA_SECRET_KEY",
    "str",
    "",
    "Django secret key (session and token signing). Required when SIFA_DEBUG is off; in "
    "development a key is generated once into SIFA_VAR_DIR/secret_key.",
    secret=True,
)
declare(
    "SIFA_ALLOWED_HOSTS",
    "list",
    ["localhost", "127.0.0.1", "[::1]", "testserver"],
    "Comma-separated host names this server answers to.",
)
declare(
    "SIFA_VAR_DIR",
    "path",
    BASE_DIR / "var",
    "Folder for local state: the embedded SQLite database, uploaded files, development keys.",
)
declare(
    "SIFA_PUBLIC_URL",
    "str",
    "http://localhost:8000",
    "The public base URL, used in links that leave the site: the QR code and verification address "
    "printed on licences and documents, the guide's 网上办理地址, links in notifications (SMS, "
    "e-mail). `make run` and `sifa run` set it to the address they serve on "
    "(`PORT=8765 make run` → `http://localhost:8765`) unless it is given; its host is added to "
    "the allowed hosts.",
)
declare("PORT", "int", 8000, "TCP port `make run` serves on.")
declare("SIFA_WEB_WORKERS", "int", 2, "Web server worker processes for `sifa serve`.")
declare(
    "SIFA_TESTING",
    "bool",
    False,
    "Set by the test settings (`sifa.conf.test_settings`): fast password hashing, tasks run "
    "immediately, development keys. Never set it by hand.",
)
declare("SIFA_LOG_LEVEL", "str", "INFO", "Log level for Sifa's own loggers.")

# --- database ------------------------------------------------------------------------------
declare(
    "DATABASE_URL",
    "str",
    "",
    "Database to use, e.g. `postgres://postgres@127.0.0.1:5432/sifa`. Empty: the embedded "
    "SQLite database at SIFA_VAR_DIR/sifa.sqlite3 (WAL mode).",
    group="数据库 Database",
)
declare(
    "SIFA_DB_CONN_MAX_AGE",
    "int",
    60,
    "Seconds a database connection is kept open between requests (0 closes after each).",
    group="数据库 Database",
)
declare(
    "SIFA_DB_PREPARED",
    "bool",
    True,
    "PostgreSQL: the statements Sifa runs with the same text on every request (the bearer "
    "token's lookup, the public progress query, licence verification, the page cache and "
    "rate-limit counters, the workflow's fixed writes) are server-side prepared statements, "
    "parsed and planned once per connection. Turn it off (`0`) behind a connection pooler in "
    "transaction mode that does not carry prepared statements (PgBouncer before 1.21, or "
    "without `max_prepared_statements`). No effect on SQLite.",
    group="数据库 Database",
)
declare(
    "SIFA_BACKUP_DIR",
    "str",
    "",
    "Folder of the backups `sifa backup` writes and `sifa restore` reads (one folder per backup with "
    "its manifest; the restore record `restores.jsonl`). Empty: SIFA_VAR_DIR/backups. Keep it on "
    "another disk, and copy it off the machine (docs/operations.md).",
    group="数据库 Database",
)
declare(
    "SIFA_WAL_ARCHIVE_DIR",
    "str",
    "",
    "PostgreSQL only: the folder the server's `archive_command` copies each completed WAL segment "
    "to, and `sifa restore` replays from (`restore_command`). `sifa backup --check` prints the "
    "server settings it needs. Empty: SIFA_BACKUP_DIR/wal.",
    group="数据库 Database",
)
declare(
    "SIFA_PG_BIN_DIR",
    "str",
    "",
    "PostgreSQL only: folder of `pg_basebackup` and `pg_ctl` for `sifa backup` and `sifa restore`. "
    "Empty: Debian's /usr/lib/postgresql/<server version>/bin, else the programs on PATH.",
    group="数据库 Database",
)

# --- security ------------------------------------------------------------------------------
declare(
    "SIFA_FIELD_KEYS",
    "str",
    "",
    "SM4 keys for personal fields at rest: `id:hex32[,id:hex32…]`; the first one encrypts, all "
    "decrypt (rotation). Required when SIFA_DEBUG is off; development generates one into "
    "SIFA_VAR_DIR/keys/.",
    group="安全 Security",
    secret=True,
)
declare(
    "SIFA_BLIND_INDEX_KEY",
    "str",
    "",
    "HMAC-SM3 key (hex, 32 bytes) for the blind index that finds a person by exact 公民身份号码 "
    "or phone without decrypting. Required when SIFA_DEBUG is off; never rotate without "
    "re-indexing.",
    group="安全 Security",
    secret=True,
)
declare(
    "SIFA_SESSION_IDLE_SECONDS",
    "int",
    1800,
    "Idle session timeout (等保 level 3: log out idle sessions; 30 minutes by default).",
    group="安全 Security",
)
declare(
    "SIFA_LOGIN_FAILURE_LIMIT",
    "int",
    5,
    "Failed logins before an account/address pair is locked (django-axes).",
    group="安全 Security",
)
declare("SIFA_LOCKOUT_MINUTES", "int", 30, "How long a lockout lasts.", group="安全 Security")
declare(
    "SIFA_ACCOUNT_BACKOFF_AFTER",
    "int",
    10,
    "Failed logins of one account, from any addresses together, after which every further attempt "
    "must wait (1 s, 2 s, 4 s … up to SIFA_ACCOUNT_BACKOFF_MAX_SECONDS): a delay, not a lock, and no "
    "CAPTCHA. Counted separately for passwords and SMS codes.",
    group="安全 Security",
)
declare(
    "SIFA_ACCOUNT_BACKOFF_HOURS",
    "int",
    24,
    "How long an account's failed logins are counted for the back-off (from the first one); a "
    "successful login or the security administrator's lift starts the count afresh.",
    group="安全 Security",
)
declare(
    "SIFA_ACCOUNT_BACKOFF_MAX_SECONDS",
    "int",
    900,
    "The longest wait between two login attempts of one account under the back-off.",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_FAILED_LOGINS",
    "int",
    20,
    "Security monitoring: failed logins of one account (or, not counted for an account, from one "
    "address) within SIFA_SECURITY_WINDOW_MINUTES that raise a 高 incident.",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_BAD_SIGNATURES",
    "int",
    3,
    "Security monitoring: exchange messages refused for their signature or key, claimed by one "
    "sender within SIFA_SECURITY_WINDOW_MINUTES, that raise a 高 incident.",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_WINDOW_MINUTES",
    "int",
    10,
    "Security monitoring: the sliding window of the counting rules (`sifa security detect`, every "
    "minute under `sifa scheduler`).",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_NOT_FOUND_IDS",
    "int",
    20,
    "Security monitoring: distinct detail pages or API objects answered 404 to one signed-in account "
    "within SIFA_SECURITY_WINDOW_MINUTES (ids tried on other jurisdictions, or invented) that raise a "
    "高 incident.",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_UPLOAD_REJECTIONS",
    "int",
    10,
    "Security monitoring: uploads refused by the upload gate for one account (or, not counted for an "
    "account, from one address) within SIFA_SECURITY_WINDOW_MINUTES that raise a 高 incident.",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_EXPORT_ROWS",
    "int",
    1000,
    "Security monitoring: an export of personal data with more records than this raises a 中 incident "
    "(every export is recorded as a security event).",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_CHAIN_SWEEP_ROWS",
    "int",
    100000,
    "Security monitoring: besides the rows written since its last run, each `sifa security detect` "
    "re-verifies this many older rows of the audit chain, going round the whole chain (a full "
    "verification every chain length ÷ this many minutes: 60 million rows in 10 hours; about 7 s of hashing a minute at ~15,000 rows/s).",
    group="安全 Security",
)
declare(
    "SIFA_SECURITY_DETECTOR_STALE_MINUTES",
    "int",
    5,
    "`/readyz` reports the security detector degraded when its last run is older than this.",
    group="安全 Security",
)
declare(
    "SIFA_LIMITS_URL",
    "str",
    "",
    "Where the counters of rate limits, throttles and the login back-off are kept, shared by every "
    "web process and kept across restarts: empty for the database (table core_limitcounter), or a "
    "Redis URL (redis://host:6379/0). Never one process's memory.",
    group="安全 Security",
)
declare(
    "SIFA_CACHE_URL",
    "str",
    "",
    "Where the public page cache (the catalogue's list, pages and guides for anonymous visitors) "
    "is kept, shared by every web process: empty for the database (table core_pagecacheentry), or "
    "a Redis URL (redis://host:6379/1). Never one process's memory (with either store a process "
    "answers a public page's hit it read again for at most 10 ms, and a publish waits as long "
    "before it answers). "
    'Publishing in the catalogue invalidates it at once (docs/performance.md, "Public page cache").',
    group="性能 Performance",
)
declare(
    "SIFA_PUBLIC_CACHE_SECONDS",
    "int",
    300,
    "How long a cached public answer is served at most (changes made through the catalogue "
    "services invalidate it at once; this bounds changes made elsewhere, e.g. an organisation "
    "renamed). 0 turns the public page cache off.",
    group="性能 Performance",
)
declare(
    "SIFA_API_TOKEN_HOURS",
    "int",
    12,
    "Lifetime of an API token issued by /api/v1/auth/token/.",
    group="安全 Security",
)
declare(
    "SIFA_HTTPS",
    "bool",
    False,
    "Sifa is reached over HTTPS (behind TLS): redirect plain HTTP to HTTPS (except `/healthz` and "
    "`/readyz`, for load-balancer probes), send HSTS for a year and trust `X-Forwarded-Proto: https` from the proxy. "
    "Session and CSRF cookies carry the `Secure` flag whenever SIFA_DEBUG is off, with or without it.",
    group="安全 Security",
)
declare(
    "SIFA_SECURE_COOKIES",
    "bool",
    False,
    "Former name of SIFA_HTTPS, still honoured. (It used to be needed for `Secure` cookies too; they "
    "are now always `Secure` when SIFA_DEBUG is off.)",
    group="安全 Security",
)
declare(
    "SIFA_JSON_MAX_DEPTH",
    "int",
    32,
    "Deepest nesting of arrays and objects a JSON request body may have; deeper bodies are refused "
    "with `400 request.too_deep` before they are parsed (no Sifa body needs more than a few levels).",
    group="安全 Security",
)
declare(
    "SIFA_TRUSTED_PROXIES",
    "int",
    0,
    "Number of reverse proxies in front of Sifa whose X-Forwarded-For entries are trusted when rate "
    "limiting by client address (0: use the peer address only).",
    group="安全 Security",
)
declare(
    "SIFA_TOTP_ISSUER",
    "str",
    "Sifa 司法行政政务服务",
    "Issuer name shown in authenticator apps for staff TOTP devices.",
    group="安全 Security",
)

# --- outside systems -------------------------------------------------------------------------
declare(
    "SIFA_SMS_BACKEND",
    "str",
    "local",
    "SMS gateway adapter: `local` writes messages to the database outbox viewer and the log "
    "(development and tests).",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EMAIL_BACKEND",
    "str",
    "django.core.mail.backends.console.EmailBackend",
    "Django e-mail backend for notifications.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EMAIL_FROM",
    "str",
    "Sifa 司法行政政务服务 <noreply@localhost>",
    "Sender address of notification e-mails.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_PARTNER_DATA",
    "str",
    "",
    "Partner data for once-only materials (公安 identity and criminal-record checks; "
    "docs/applications.md). Empty (the default, and production until a partner gateway is "
    "configured): no partner is asked, such materials are requested from the applicant and nothing "
    "is labelled 部门共享数据. `exchange`: with the applicant's consent the police partner is asked "
    "over the signed exchange (docs/exchange.md), synchronously, within "
    "SIFA_PARTNER_QUERY_TIMEOUT_SECONDS; when it cannot answer the material is asked for. `make run` "
    "sets `exchange` (the police simulator answers). `simulated`: a stand-in answers for every "
    "natural-person applicant, labelled 演示模拟 — demo and tests only: refused unless SIFA_DEBUG "
    "is on.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_PARTNER_QUERY_TIMEOUT_SECONDS",
    "int",
    3,
    "How long a once-only partner query (SIFA_PARTNER_DATA=exchange) waits for the partner's "
    "answer while the applicant's page is loading; past it the material is asked for as an upload "
    "(公安部门数据暂时无法核验).",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_WEB_THREADS",
    "int",
    4,
    "Request threads per web worker for `sifa serve`; each may hold one database connection, so "
    "workers × threads must stay below the database's connection limit.",
)
declare(
    "SIFA_WEB_CONNECTIONS",
    "int",
    256,
    "Open client connections each web worker of `sifa serve` holds at once (granian "
    "`--backpressure`); more wait in the kernel's queue. An idle keep-alive or slow client holds "
    "one until SIFA_WEB_HEADER_TIMEOUT_SECONDS closes it, so keep this well above "
    'SIFA_WEB_THREADS (docs/performance.md, "The web server").',
)
declare(
    "SIFA_WEB_HEADER_TIMEOUT_SECONDS",
    "int",
    10,
    "`sifa serve` closes a connection that has not sent a complete request head within this "
    "time: a new connection, a slow client and an idle keep-alive connection between requests "
    "alike (1–60).",
)

# --- signing keys (sifa.core.signing; docs/keys.md) ----------------------------------------
declare(
    "SIFA_SIGNING_KEY_DIR",
    "str",
    "",
    "Folder of signing keys for e-licences and exchange messages: `<key_id>.pem` (PKCS#8, mode "
    "0600) + `<key_id>.json` (valid_from, valid_until, status active|retired). Required when "
    "SIFA_DEBUG is off; development generates an SM2 key into SIFA_VAR_DIR/keys/signing/ "
    "(the test suite makes one per run in a temporary folder). Manage with "
    "`sifa keys list|rotate|export-public`.",
    group="安全 Security",
)
declare(
    "SIFA_SIGNING_ALGORITHM",
    "str",
    "SM2-with-SM3",
    "Algorithm of newly created signing keys: `SM2-with-SM3` (GB/T 32918, distinguishing id "
    "1234567812345678) or `Ed25519` (RFC 8032). Existing keys keep their algorithm.",
    group="安全 Security",
)
declare(
    "SIFA_SM2_BACKEND",
    "str",
    "auto",
    "Which library computes SM2 signatures (ADR 0011): `auto` (OpenSSL's libcrypto.so.3 when it "
    "passes an SM2 self-test at start, else gmssl-pyx), `openssl` (refuse to start SM2 without it) "
    "or `gmssl-pyx` (the fallback, e.g. to compare speed). Both make the same signatures.",
    group="安全 Security",
)

# --- data exchange (sifa.exchange; docs/exchange.md) -------------------------------------------
declare(
    "SIFA_EXCHANGE_ENDPOINTS",
    "list",
    [],
    "The allow-list of partner endpoints, comma-separated `USCC=https://host/path/`: the only "
    "addresses the gateway ever sends to (never one taken from a request). Empty: no partner is "
    "reachable.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_CLOCK_SKEW_SECONDS",
    "int",
    300,
    "How far an inbound message's signed timestamp may lie from our clock, either way, before it "
    "is refused as stale or from the future (`exchange.stale`, `exchange.future`).",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_CONNECT_TIMEOUT_SECONDS",
    "int",
    3,
    "How long the HTTP transport waits to connect to a partner before it gives up "
    "(`exchange.partner_timeout`, retried by the relay). The read timeout is the caller's.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_RETRY_BASE_MS",
    "int",
    30_000,
    "The outbox relay's first retry delay in milliseconds; each further failure doubles it (±20 % "
    "jitter), capped at 120 times this (1 h at the default). Lower it only for tests (the R3 chaos "
    "test uses 50).",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_CLAIM_LEASE_SECONDS",
    "int",
    300,
    "An outbox item left 发送中 (sending) longer than this belongs to a relay that died: the next "
    "relay pass puts it back in the queue. Keep it well above the send timeout (10 s); lower it "
    "only for tests (the R3 chaos test kills relays and uses 3).",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_INBOX_RATE",
    "str",
    "6000/min",
    "Every POST to the exchange inbox, per client address (`N/s`, `N/min`, `N/hour`): a generous "
    "ceiling, twice the national design burst (scale.md W9: 50/s), since one partner's whole relay "
    "pool may come from one address. Over it: 429 `exchange.rate_limited`.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_INBOX_REFUSED_RATE",
    "str",
    "60/min",
    "Refused envelopes per client address (a bad signature, unknown key, replay, stale time …; each "
    "costs a signature check and a rejection row). Once an address has had this many refused in "
    "the window, its inbox requests are answered 429 `exchange.too_many_refused` without any "
    "check until the window has room again.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_PARTNER_SIM_PORTS",
    "list",
    ["police=8101", "court=8102", "procuratorate=8103"],
    "Development only: the loopback ports of the partner simulators that `make run` starts "
    "(`kind=port`, comma-separated). With SIFA_DEBUG on and SIFA_EXCHANGE_ENDPOINTS empty, their "
    "addresses are the allow-list. Empty: no simulators.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_PARTNER_SIM_LATENCY_MS",
    "str",
    "50-300",
    "The partner simulators' answer delay in milliseconds: `MIN-MAX` (uniformly random) or one "
    "number; `0` answers at once.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_LOG_BATCH",
    "int",
    100,
    "The message log is hash-chained in batches: a batch is chained once this many messages are "
    "waiting (or SIFA_EXCHANGE_LOG_BATCH_MS has passed), in one transaction.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_REGISTRY_TTL_SECONDS",
    "int",
    5,
    "How long, in seconds, a process keeps the registry rows it read to open a message (partner, "
    "partner key, service, organisation, compiled schema). A change made in the process is seen at "
    "once; one made by another process (a key retired, a partner deactivated) within this time. "
    "0 turns the cache off.",
    group="外部系统 Outside systems",
)
declare(
    "SIFA_EXCHANGE_LOG_BATCH_MS",
    "int",
    200,
    "The longest a committed message waits, in milliseconds, before the next append chains the "
    "waiting batch (`sifa exchange chain` chains at once).",
    group="外部系统 Outside systems",
)

# --- uploads -----------------------------------------------------------------------------------
declare(
    "SIFA_UPLOAD_MAX_BYTES",
    "int",
    20 * 1024 * 1024,
    "Largest accepted upload in bytes (default 20 MB), checked while streaming so an oversize "
    "file is never written in full (OWASP ASVS 5.2.1; see docs/uploads.md).",
    group="上传 Uploads",
)

# --- law library (sifa.laws; docs/laws.md) -------------------------------------------------------
declare(
    "SIFA_LAWS_DIR",
    "path",
    BASE_DIR.parent / "shared" / "data" / "laws",
    "Folder of statute Markdown files that `sifa import-laws` reads when no folder is given "
    "(default: ../shared/data/laws next to the project). `sifa run` loads only the built-in sample.",
    group="法律法规库 Law library",
)

# --- 12348 consultation (sifa.consultation; docs/consultation.md) ------------------------------
declare(
    "SIFA_CONSULTATION_ANSWER_DAYS",
    "int",
    3,
    "Working days a consultation ticket may stay unanswered, counted from the day after it was "
    "received; after that `sifa escalate-consultations` escalates it to the level above. No statute "
    "sets this limit: 3 is Sifa's default (docs/consultation.md).",
    group="法律咨询 Consultation",
)

# --- 好差评 (sifa.evaluation; docs/evaluation.md) ------------------------------------------------
declare(
    "SIFA_EVALUATION_CALLBACK_DAYS",
    "int",
    1,
    "Working days, from the day after a 差评 (不满意 or 非常不满意), within which the responsible "
    "organisation calls a named rater back (回访). No national day-count was confirmed: 1 is Sifa's "
    'default, after implementing rules such as the "123" rule (docs/evaluation.md).',
    group="好差评 Ratings",
)
declare(
    "SIFA_EVALUATION_RECTIFY_DAYS",
    "int",
    15,
    "Working days, from the day after a 差评, within which the organisation rectifies and reports "
    "the outcome to the rater; after that `sifa escalate-rectifications` escalates it to the level "
    "above. 15 follows the commonly cited rule; no national day-count was confirmed (docs/evaluation.md).",
    group="好差评 Ratings",
)

# --- 绩效考核 (sifa.indicators; docs/indicators.md) ------------------------------------------
declare(
    "SIFA_INDICATORS_HOT_LEAF_FACTS",
    "int",
    50,
    "A leaf organisation (a 司法所, a 法律援助中心) keeps a roll-up row for a month once more than this "
    "many of its facts fall in that month (applications received, ratings, rectifications opened, "
    "complaints received, random-check findings): a hot leaf-month is read from its row, a cold one "
    "(at most this many facts) from its facts. Rows at the leaf level stay below facts ÷ this value "
    "(R8c, ADR 0010): 50 keeps them ≤ 0.02 of the facts. Must be ≥ 1 (docs/indicators.md).",
    group="绩效考核 Indicators",
)
declare(
    "SIFA_INDICATORS_CACHE_SECONDS",
    "int",
    86400,
    "How long a dashboard's answer (an organisation's figures and its children's for one month) is "
    "kept in the shared cache (SIFA_CACHE_URL: the database or Redis) at most. Every read checks it "
    "against the revision of the roll-up row covering the subtree and the subtree's pending deltas "
    "first, so a kept answer is never stale; this only bounds the space. 0 turns the cache off "
    "(ADR 0013, docs/indicators.md).",
    group="绩效考核 Indicators",
)

# --- complaints and reports (sifa.complaints; docs/complaints.md) -----------------------------
declare(
    "SIFA_COMPLAINT_REPLY_DAYS",
    "int",
    15,
    "Working days within which a complaint or report must be replied to, counted from the day "
    "after it was received; after that `sifa escalate-complaints` shows it to the level above as "
    "overdue. 15 is Sifa's default, the rectification limit of 国办发〔2019〕51号 for 差评 "
    "(docs/complaints.md).",
    group="投诉举报 Complaints",
)

# --- documents and seals (sifa.documents; docs/documents.md) -----------------------------------
declare(
    "SIFA_SEAL_KEY_DIR",
    "str",
    "",
    "Folder of the platform seal CA and the organisations' seal certificates: `ca.pem`, "
    "`ca.key.pem` (mode 0600; may be kept offline once seals are issued) and "
    "`seals/<USCC>/<serial>.pem|.key.pem`. Required when SIFA_DEBUG is off; development "
    "creates a CA in SIFA_VAR_DIR/keys/ca/ (the test suite makes one per run in a temporary "
    "folder). Print the CA with `sifa documents ca-cert`.",
    group="安全 Security",
)

# --- audit anchors (sifa.audit; docs/audit.md) -------------------------------------------------
declare(
    "SIFA_ANCHOR_INTERVAL_MINUTES",
    "int",
    60,
    "How often, in minutes, `sifa scheduler` verifies the audit chain (from the head it verified "
    "last) and anchors the heads of the audit chain, the personal-data access log and the exchange "
    "message log in SIFA_VAR_DIR/*-anchors/anchors.jsonl; it also anchors once on SIGTERM/SIGINT. "
    "Ship those files off-box (docs/audit.md).",
    group="安全 Security",
)
