"""Backup and point-in-time restore of Sifa's database (``sifa backup``, ``sifa restore``).

* SQLite (the embedded default): the online backup API copies a consistent snapshot of the live
  file while Sifa runs (:mod:`.sqlite`); a restore puts back the newest backup taken at or before
  the time asked for. SQLite has no WAL archive, so the point reached is that backup's time.
* PostgreSQL: ``pg_basebackup`` (tar format, WAL included) of the server in ``DATABASE_URL``, plus
  the server's own WAL archive (``archive_mode = on``); a restore prepares a *new* data directory
  that replays the archive up to the time asked for (``recovery_target_time``) and never touches
  the running server (:mod:`.postgres`).

Every backup is a folder under ``SIFA_BACKUP_DIR`` with a ``manifest.json`` (:mod:`.common`): when
it was taken, what it holds, the size and SM3 and SHA-256 digests of each file. The uploaded files
(``MEDIA_ROOT``) are copied beside the database; keys are not (docs/operations.md says why and
what an operator must keep besides the backups).
"""
