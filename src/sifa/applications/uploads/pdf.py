"""PDF active-content screen: a streamed, tokenizer-level scan of the raw bytes.

Why a tokenizer and not a regular expression over the file: the first version of this screen
(security.md S4) matched ``/EmbeddedFile\\b`` and so missed ``/EmbeddedFiles``, and it compared
raw bytes, so ``/J#61vaScript`` (a hex-escaped ``/JavaScript``) went through. Here every name
object is read whole and ``#xx`` escapes are decoded before it is compared with the deny-list.

What is scanned, in one pass of 64 KB chunks (the file is never held in memory):

* all object syntax, including every incremental update after the first ``%%EOF``; names are
  tokens, literal and hex strings and comments are skipped as the PDF grammar says;
* every object stream (``/Type /ObjStm``, or any stream with ``/First`` or ``/N`` — the keys a
  reader needs to treat a stream as one) is inflated (FlateDecode, streamed, with a total
  budget against decompression bombs) and its objects are scanned like top-level syntax; an
  object stream under any other filter, or with a predictor, is refused as uninspectable;
* the raw bytes of all other streams (images, fonts, page contents) are scanned only for the
  long active-content names — the short ones (``/JS``, ``/AA``) occur by chance in megabytes of
  compressed image data, and every action they could trigger also needs a long name
  (``/S /JavaScript``, ``/Launch`` …), which is still caught.

A PDF that uses ASCIIHex, ASCII85, LZW, RunLength or Crypt filters anywhere is refused: modern
generators do not emit them, and they are the easy way to hide an object stream from a scanner.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from .errors import (
    COMPRESSION_BOMB,
    CORRUPT,
    ENCRYPTED_PDF,
    PDF_ACTIVE_CONTENT,
    PDF_UNINSPECTABLE,
    POLYGLOT,
    UploadRejected,
)

CHUNK = 64 * 1024
MAX_TOKEN = 1024 * 1024
"""A single string, comment or dictionary may not exceed this; real PDFs stay far below."""
MAX_DICT_TOKENS = 4096
TAIL = 65536 + 22
"""A ZIP reader looks for its end record in the last 64 KB + 22 bytes; so do we."""

# Names whose presence means the document can act on its own (ISO 32000-1 §12.6 actions,
# §7.11.4 embedded files, §12.7.8 XFA, §13.6 3D, Adobe RichMedia). Long ones are ≥ 4 bytes and
# practically never appear by chance in binary data; short ones are checked in object syntax.
ACTIVE_LONG = frozenset(
    b"JavaScript Launch EmbeddedFiles EmbeddedFile FileAttachment RichMedia RichMediaExecute "
    b"XFA SubmitForm ImportData GoToR GoToE Rendition".split()
)
ACTIVE_SHORT = frozenset(b"JS AA EF 3D".split())
OPEN_ACTION = b"OpenAction"
"""Allowed only with a destination array as its value (``[3 0 R /Fit]``: which page, which view);
a dictionary is an action — of any kind, ``/URI`` and ``/Named`` included — and an indirect
reference could be one, so both are refused (ISO 32000-1 §7.7.2 table 28, §12.6)."""
UNINSPECTABLE_FILTERS = frozenset(
    b"ASCIIHexDecode AHx ASCII85Decode A85 LZWDecode LZW RunLengthDecode RL Crypt".split()
)
_OBJSTM_KEYS = frozenset(b"ObjStm First N".split())
_FLATE = frozenset((b"FlateDecode", b"Fl"))

_DELIM = rb"\x00\t\n\f\r /\[\]<>(){}%"
_TOKEN = re.compile(
    rb"(?P<ws>[\x00\t\n\f\r ]+)"
    rb"|(?P<comment>%[^\r\n]*)"
    rb"|(?P<name>/[^" + _DELIM + rb"]*)"
    rb"|(?P<dopen><<)|(?P<dclose>>>)"
    rb"|(?P<hex><[^>]*>)"
    rb"|(?P<lparen>\()"
    rb"|(?P<aopen>\[)|(?P<aclose>\])"
    rb"|(?P<delim>[{}<>)])"
    rb"|(?P<word>[^" + _DELIM + rb"]+)"
)
_NAME_IN_DATA = re.compile(rb"/([^" + _DELIM + rb"]{1,256})")


def _spelled(name: bytes) -> bytes:
    """A regex for every raw spelling of ``name``: each byte as itself or ``#xx`` (either case)."""
    parts = []
    for byte in name:
        hex_digits = b"%02X" % byte
        escaped = b"#" + b"".join(
            b"[%s%s]" % (bytes([c]), bytes([c]).lower()) if bytes([c]).isalpha() else bytes([c])
            for c in hex_digits
        )
        parts.append(b"(?:" + re.escape(bytes([byte])) + b"|" + escaped + b")")
    return b"".join(parts)


_LONG_ACTIVE_NAME = re.compile(
    rb"/(?=["
    + re.escape(b"#" + bytes(sorted({name[0] for name in ACTIVE_LONG})))
    + rb"])(?:"
    + b"|".join(_spelled(name) for name in sorted(ACTIVE_LONG, key=len, reverse=True))
    + rb")(?![^"
    + _DELIM
    + rb"])"
)
"""Exactly the names in stream data that decode to a long active name (spelled out, or with any
``#xx`` escapes; the name ends right after it). Found in one pass of the regex engine, which
skips to each ``/`` and gives up on most after a byte or two: a scanned page is megabytes of
image data with a ``/`` every 256 bytes on average, and looking at each name in Python cost
30–60 ms per 2 MB (and reading up to 256 bytes after each ``/`` for a ``#``, ≈ 5 ms)."""
_STRING_SPECIAL = re.compile(rb"[()\\]")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_INT = re.compile(rb"[+-]?\d+")
_ENDSTREAM = re.compile(rb"[\x00\t\n\f\r ]*endstream")
_MARKUP = re.compile(rb"(?i:<\?php|<script|<html|<!doctype html|<iframe)")
_WHITESPACE = b"\x00\t\n\f\r "
_VALUE_START = re.compile(rb"(?:[\x00\t\n\f\r ]+|%[^\r\n]*[\r\n])*([^\x00\t\n\f\r %])")
"""The first byte of the value after a name, skipping white space and comments."""


def decode_name(raw: bytes) -> bytes:
    """``J#61vaScript`` → ``JavaScript`` (ISO 32000-1 §7.3.5)."""
    return _HEX_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), raw)


@dataclass
class _StreamDict:
    names: set[bytes]
    length: int | None
    predictor: int


def _parse_stream_dict(tokens: list[tuple[str, object]]) -> _StreamDict:
    names = {value for kind, value in tokens if kind == "name"}
    length: int | None = None
    predictor = 1
    for index, (kind, value) in enumerate(tokens):
        if kind != "name":
            continue
        following = tokens[index + 1 : index + 4]
        if not following or following[0][0] != "int":
            continue
        # "/Length 12 0 R" is a reference: its value lives elsewhere in the file.
        is_reference = len(following) == 3 and following[2] == ("word", b"R")
        if value == b"Length" and not is_reference:
            length = int(following[0][1])  # type: ignore[call-overload]
        elif value == b"Predictor":
            predictor = int(following[0][1])  # type: ignore[call-overload]
    return _StreamDict(names, length, predictor)


def refuse_open_action() -> UploadRejected:
    return UploadRejected(
        PDF_ACTIVE_CONTENT, "/OpenAction with an action (only a destination [...] is allowed)"
    )


class _DataScan:
    """Forbidden names in stream bytes fed piece by piece (names may straddle two pieces).

    ``objects``: the bytes are object syntax (an inflated object stream), so an ``/OpenAction``
    must be followed by a destination array, as at top level."""

    def __init__(
        self, check: Callable[[bytes], None], *, objects: bool = False, long_names_only: bool = False
    ) -> None:
        self._check = check
        self._objects = objects
        self._long_only = long_names_only and not objects
        self._carry = b""

    def feed(self, data: bytes) -> None:
        data = self._carry + data
        if self._long_only:
            self._feed_long_names(data)
            return
        keep_from = len(data)
        for match in _NAME_IN_DATA.finditer(data):
            if match.end() == len(data):
                keep_from = match.start()  # maybe unterminated: look again with the next piece
                break
            name = decode_name(match.group(1))
            if self._objects and name == OPEN_ACTION:
                value = _VALUE_START.match(data, match.end())
                if value is None:
                    keep_from = match.start()  # its value starts in the next piece
                    break
                if value.group(1) != b"[":
                    raise refuse_open_action()
            self._check(name)
        if data.endswith(b"/"):
            keep_from = min(keep_from, len(data) - 1)
        self._carry = data[keep_from:][-512:]

    def _feed_long_names(self, data: bytes) -> None:
        """``feed`` when only long names matter (raw stream bytes): the same long active names are
        flagged and the same bytes carried over, but only names that decode to one are decoded.
        Every ``/`` starts a name (``/`` is a delimiter), so a match is exactly where
        ``_NAME_IN_DATA.finditer`` would have matched a name that decodes to a long active one."""
        keep_from = len(data)
        last = data.rfind(b"/")
        if last >= 0:
            tail = _NAME_IN_DATA.match(data, last)
            if tail is not None and tail.end() == len(data):
                keep_from = last  # maybe unterminated: look again with the next piece
        for match in _LONG_ACTIVE_NAME.finditer(data, 0, keep_from):
            self._check(decode_name(match.group(0)[1:]))
        if data.endswith(b"/"):
            keep_from = min(keep_from, len(data) - 1)
        self._carry = data[keep_from:][-512:]

    def close(self) -> None:
        for match in _NAME_IN_DATA.finditer(self._carry):
            self._check(decode_name(match.group(1)))
        self._carry = b""


class _Inflater:
    """Streamed FlateDecode with a shared output budget (decompression-bomb guard)."""

    def __init__(self, sink: _DataScan, budget: list[int]) -> None:
        self._zlib = zlib.decompressobj()
        self._sink = sink
        self._budget = budget
        self.failed = False

    def feed(self, data: bytes) -> None:
        if self.failed or self._zlib.eof:
            return
        try:
            while data:
                out = self._zlib.decompress(data, CHUNK)
                self._budget[0] -= len(out)
                if self._budget[0] < 0:
                    raise UploadRejected(COMPRESSION_BOMB, "object streams inflate too far")
                self._sink.feed(out)
                data = self._zlib.unconsumed_tail
        except zlib.error:
            # Encrypted object streams are not zlib data either; the caller decides which it is.
            self.failed = True

    @property
    def complete(self) -> bool:
        return self._zlib.eof


class PdfScanner:
    def __init__(self, fh: BinaryIO, *, max_decoded: int) -> None:
        self._fh = fh
        self._buf = b""
        self._pos = 0
        self._base = 0  # file offset of _buf[0]
        self._eof = False
        self._budget = [max_decoded]
        self._markup_carry = b""
        self.encrypted = False
        self.problems: list[str] = []
        self.last_eof_end: int | None = None

    # --- deny-list ----------------------------------------------------------------------------
    def _check_object_name(self, name: bytes) -> None:
        if name in ACTIVE_LONG or name in ACTIVE_SHORT:
            raise UploadRejected(PDF_ACTIVE_CONTENT, "/" + name.decode("latin-1"))
        if name in UNINSPECTABLE_FILTERS:
            raise UploadRejected(PDF_UNINSPECTABLE, "filter /" + name.decode("latin-1"))
        if name == b"Encrypt":
            self.encrypted = True

    def _check_data_name(self, name: bytes) -> None:
        if name in ACTIVE_LONG:
            raise UploadRejected(PDF_ACTIVE_CONTENT, "/" + name.decode("latin-1") + " in a stream")

    # --- buffer -------------------------------------------------------------------------------
    def _more(self) -> bool:
        """Read the next chunk, dropping what is already consumed; False at end of file."""
        if self._eof:
            return False
        data = self._fh.read(CHUNK)
        if not data:
            self._eof = True
            return False
        self._scan_markup(data)
        self._base += self._pos
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        if len(self._buf) > MAX_TOKEN + CHUNK:
            raise UploadRejected(PDF_UNINSPECTABLE, "token longer than 1 MB")
        return True

    def _scan_markup(self, data: bytes) -> None:
        # HTML or PHP anywhere in the bytes turns a "PDF" into a page a lax server might render.
        window = self._markup_carry + data
        match = _MARKUP.search(window)
        if match:
            raise UploadRejected(POLYGLOT, f"markup {match.group(0)!r}")
        self._markup_carry = window[-16:]

    # --- object syntax ------------------------------------------------------------------------
    def scan(self) -> None:
        depth = 0
        collecting = False  # inside a dictionary that is an object's top-level value
        overflow = False
        dict_tokens: list[tuple[str, object]] = []
        stream_dict: list[tuple[str, object]] | None = None
        open_action = False  # the next token is the value of /OpenAction
        while True:
            if self._pos >= len(self._buf) and not self._more():
                break
            match = _TOKEN.match(self._buf, self._pos)
            assert match is not None  # every byte starts some token
            kind = match.lastgroup
            end = match.end()
            if kind == "lparen":
                end = self._string_end(self._pos + 1)
                if end is None:
                    continue
            elif end == len(self._buf) and not self._eof:
                self._more()  # the token may go on in the next chunk
                continue
            raw = match.group(0)
            self._pos = end
            if kind in ("ws", "comment"):
                if kind == "comment" and raw.startswith(b"%%EOF"):
                    self.last_eof_end = self._base + match.start() + 5
                continue
            if open_action:
                open_action = False
                if kind != "aopen":
                    raise refuse_open_action()
            closes_dict = False
            token: tuple[str, object] = ("other", b"")
            if kind == "name":
                token = ("name", decode_name(raw[1:]))
                self._check_object_name(token[1])  # type: ignore[arg-type]
                open_action = token[1] == OPEN_ACTION
            elif kind == "word":
                if b"PK\x03\x04" in raw:
                    raise UploadRejected(POLYGLOT, "ZIP local header in object syntax")
                if raw == b"stream":
                    if stream_dict is None:
                        raise UploadRejected(CORRUPT, "stream without a dictionary")
                    if overflow:
                        raise UploadRejected(PDF_UNINSPECTABLE, "stream dictionary too large")
                    self._stream(_parse_stream_dict(stream_dict))
                    stream_dict, depth, collecting = None, 0, False
                    continue
                if raw in (b"obj", b"endobj"):
                    depth, collecting = 0, False
                token = ("int", int(raw)) if _INT.fullmatch(raw) else ("word", raw)
            elif kind in ("dopen", "aopen"):
                if depth == 0:
                    collecting, overflow, dict_tokens = kind == "dopen", False, []
                depth += 1
            elif kind in ("dclose", "aclose"):
                depth = max(depth - 1, 0)
                closes_dict = collecting and kind == "dclose" and depth == 0
            if collecting and not overflow:
                dict_tokens.append(token)
                overflow = len(dict_tokens) > MAX_DICT_TOKENS
            stream_dict = dict_tokens if closes_dict else None
            if depth == 0:
                collecting = False

    def _string_end(self, start: int) -> int | None:
        """End offset of a literal string whose body starts at ``start`` (nested parentheses,
        backslash escapes); None after reading more when it goes on in the next chunk."""
        depth, index = 1, start
        while True:
            match = _STRING_SPECIAL.search(self._buf, index)
            if match is None or (match.group(0) == b"\\" and match.end() >= len(self._buf)):
                if not self._more():
                    self.problems.append("unterminated string")
                    self._pos = len(self._buf)
                return None
            if match.group(0) == b"\\":
                index = match.end() + 1
                continue
            depth += 1 if match.group(0) == b"(" else -1
            index = match.end()
            if depth == 0:
                return index

    # --- streams ------------------------------------------------------------------------------
    def _stream(self, info: _StreamDict) -> None:
        while len(self._buf) - self._pos < 2 and self._more():
            pass
        if self._buf.startswith(b"\r\n", self._pos):
            self._pos += 2
        elif self._buf[self._pos : self._pos + 1] in (b"\n", b"\r"):
            self._pos += 1
        else:
            raise UploadRejected(CORRUPT, "no end of line after 'stream'")

        raw_scan = _DataScan(self._check_data_name, long_names_only=True)
        sinks: list[Callable[[bytes], None]] = [raw_scan.feed]
        inflater: _Inflater | None = None
        decoded_scan: _DataScan | None = None
        if info.names & _OBJSTM_KEYS:
            filters = info.names & (_FLATE | {b"DCTDecode", b"JPXDecode", b"JBIG2Decode"})
            if info.predictor > 1 or (filters and filters - _FLATE):
                raise UploadRejected(PDF_UNINSPECTABLE, "object stream with a predictor or filter")
            decoded_scan = _DataScan(self._check_object_name, objects=True)
            if filters:
                inflater = _Inflater(decoded_scan, self._budget)
                sinks.append(inflater.feed)
            else:
                sinks.append(decoded_scan.feed)

        def sink(piece: bytes) -> None:
            for feed in sinks:
                feed(piece)

        self._stream_data(info.length, sink)
        raw_scan.close()
        if decoded_scan is not None:
            decoded_scan.close()
        if inflater is not None and (inflater.failed or not inflater.complete):
            self.problems.append("object stream does not inflate")

    def _stream_data(self, length: int | None, sink: Callable[[bytes], None]) -> None:
        if length is not None:
            remaining = length
            while remaining:
                if self._pos >= len(self._buf) and not self._more():
                    raise UploadRejected(CORRUPT, "stream runs past the end of the file")
                piece = self._buf[self._pos : self._pos + remaining]
                self._pos += len(piece)
                remaining -= len(piece)
                sink(piece)
            while len(self._buf) - self._pos < 64 and self._more():
                pass
            # /Length must agree with 'endstream': otherwise readers that trust /Length and
            # readers that search for 'endstream' would see different objects.
            match = _ENDSTREAM.match(self._buf, self._pos)
            if match is None:
                raise UploadRejected(CORRUPT, "/Length does not end at 'endstream'")
            self._pos = match.end()
            return
        while True:
            found = self._buf.find(b"endstream", self._pos)
            if found >= 0:
                sink(self._buf[self._pos : found])
                self._pos = found + len(b"endstream")
                return
            keep = max(len(self._buf) - len(b"endstream"), self._pos)
            sink(self._buf[self._pos : keep])
            self._pos = keep
            if not self._more():
                raise UploadRejected(CORRUPT, "stream without 'endstream'")


def scan_pdf(fh: BinaryIO, size: int, *, max_decoded: int) -> None:
    """Raise ``UploadRejected`` unless the PDF in ``fh`` (``size`` bytes) is free of active
    content, encryption, polyglot structure and damage that would stop the scan."""
    fh.seek(0)
    scanner = PdfScanner(fh, max_decoded=max_decoded)
    scanner.scan()
    if scanner.encrypted:
        raise UploadRejected(ENCRYPTED_PDF, "/Encrypt in the trailer")
    if scanner.problems:
        raise UploadRejected(CORRUPT, scanner.problems[0])
    if scanner.last_eof_end is None:
        raise UploadRejected(CORRUPT, "no %%EOF")
    fh.seek(max(size - TAIL, 0))
    tail = fh.read()
    trailing = size - scanner.last_eof_end
    if trailing > len(tail) or tail[len(tail) - trailing :].strip(_WHITESPACE):
        raise UploadRejected(POLYGLOT, "data after the last %%EOF")
    if b"PK\x05\x06" in tail:
        raise UploadRejected(POLYGLOT, "ZIP end-of-central-directory record")
