"""Just enough DER and PEM for the key formats we read and write (no ASN.1 library is installed).

``cryptography`` rejects the SM2 curve (OID 1.2.156.10197.1.301) outright, and gmssl-pyx works on
raw 32/64-byte keys only, so the SM2 PKCS#8 and SubjectPublicKeyInfo structures are built and
parsed here. The parser is strict: definite minimal lengths, no trailing bytes.
"""

from __future__ import annotations

import base64
import binascii
import re

from sifa.core.signing.base import SigningError

SEQUENCE, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x30, 0x02, 0x03, 0x04, 0x06

_PEM_RE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----\s*(?P<body>[A-Za-z0-9+/=\s]*?)\s*-----END \1-----", re.DOTALL
)


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(value)) + value


def encode_integer(value: int) -> bytes:
    # A leading zero byte keeps a value whose top bit is set positive (X.690 §8.3).
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return tlv(INTEGER, raw)


def read_tlv(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """Read one element at ``pos``; return (tag, value, position after it). Raises ValueError."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3 or pos + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80 or data[pos] == 0:
            raise ValueError("non-minimal length")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated")
    return tag, data[pos:end], end


def read_sequence(data: bytes) -> list[tuple[int, bytes]]:
    """The elements of a SEQUENCE that must fill ``data`` exactly."""
    tag, body, end = read_tlv(data)
    if tag != SEQUENCE or end != len(data):
        raise ValueError("not a single SEQUENCE")
    items, pos = [], 0
    while pos < len(body):
        item_tag, value, pos = read_tlv(body, pos)
        items.append((item_tag, value))
    return items


def decode_integer(value: bytes) -> int:
    """A non-negative, minimally encoded INTEGER."""
    if not value or value[0] & 0x80 or (len(value) > 1 and value[0] == 0 and not value[1] & 0x80):
        raise ValueError("bad integer")
    return int.from_bytes(value, "big")


def pem_encode(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def pem_decode(pem: str | bytes) -> tuple[str, bytes]:
    """Return (label, DER) of the first PEM block, or raise ``signing.bad_pem``."""
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else str(pem)
    match = _PEM_RE.search(text)
    if not match:
        raise SigningError("signing.bad_pem", "密钥不是有效的 PEM 格式（缺少 BEGIN/END 行）")
    try:
        der = base64.b64decode("".join(match.group("body").split()), validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("signing.bad_pem", "密钥 PEM 内容不是有效的 Base64") from None
    if not der:
        raise SigningError("signing.bad_pem", "密钥 PEM 内容为空")
    return match.group(1), der


def spki_algorithm(der: bytes) -> tuple[bytes, bytes | None, bytes]:
    """Split a SubjectPublicKeyInfo into (algorithm OID, parameter OID or None, key bits)."""
    items = read_sequence(der)
    if len(items) != 2 or items[0][0] != SEQUENCE or items[1][0] != BIT_STRING:
        raise ValueError("not a SubjectPublicKeyInfo")
    algorithm = read_sequence(tlv(SEQUENCE, items[0][1]))
    if not algorithm or algorithm[0][0] != OID:
        raise ValueError("bad AlgorithmIdentifier")
    parameter = algorithm[1][1] if len(algorithm) > 1 and algorithm[1][0] == OID else None
    bits = items[1][1]
    if not bits or bits[0] != 0:
        raise ValueError("unused bits in key")
    return algorithm[0][1], parameter, bits[1:]
