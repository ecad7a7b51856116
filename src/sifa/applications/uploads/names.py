"""The user's file name: rejected when it is dangerous, otherwise kept only as a display name.

The stored file never uses this name (the store generates a random id), so these rules protect
the places the name is *shown*: the Content-Disposition header, staff screens, exported lists and
the Windows machines staff download to (OWASP ASVS 5.3.2, 5.4.1).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import BAD_NAME, UploadRejected

MAX_NAME_CHARS = 200

# Windows device names stay special with any extension ("CON.pdf") and with superscript digits.
_RESERVED = re.compile(r"^(con|prn|aux|nul|clock\$|conin\$|conout\$|(com|lpt)[0-9¹²³])$", re.I)
_DRIVE = re.compile(r"^[A-Za-z]:")
# Shown, not rejected: characters Windows cannot store in a file name.
_WINDOWS_UNSAFE = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")


def _reject(detail: str) -> UploadRejected:
    return UploadRejected(BAD_NAME, detail)


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls incl. NUL; Cf: format characters incl. the bidi overrides (U+202E RTLO,
    # U+2066–2069 isolates) that make "exe.pdf" display as "fdp.exe"; Cs: lone surrogates;
    # Zl/Zp: line and paragraph separators that break headers and log lines.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def sanitize_display_name(name: object) -> str:
    """Return the name to show for an upload, or raise ``UploadRejected(upload.bad_name)``.

    Rejected: empty names, more than 200 characters, control and bidi characters, path
    separators, ``..``, drive letters and reserved device names. Tidied: Unicode NFC form,
    runs of white space, Windows-unsafe characters (replaced by ``_``) and leading or trailing
    dots and spaces.
    """
    if not isinstance(name, str):
        raise _reject("not a string")
    if len(name) > MAX_NAME_CHARS:
        raise _reject(f"{len(name)} characters")
    if any(_is_control(char) for char in name):
        raise _reject("control or bidi character")
    if "/" in name or "\\" in name:
        raise _reject("path separator")
    if _DRIVE.match(name):
        raise _reject("drive letter")
    name = unicodedata.normalize("NFC", name)
    if name.strip() in {".", ".."}:
        raise _reject("dot name")
    cleaned = _WINDOWS_UNSAFE.sub("_", _SPACES.sub(" ", name)).strip(" .")
    if not cleaned:
        raise _reject("empty")
    # NFC can change the length; re-check so the promise "≤ 200 characters" always holds.
    if len(cleaned) > MAX_NAME_CHARS:
        raise _reject(f"{len(cleaned)} characters after normalisation")
    if _RESERVED.match(cleaned.split(".", 1)[0].strip()):
        raise _reject("reserved device name")
    return cleaned


def extensions(display_name: str) -> list[str]:
    """Lower-case suffixes, outermost last: ``"a.PDF.exe"`` → ``["pdf", "exe"]``."""
    return [part.lower() for part in display_name.split(".")[1:]]
