"""电子证照标识 (GB/T 36904-2018): build and parse licence identifiers.

    1.2.156.3005.2 . <证照类型代码> . <颁发机构代码> . <流水号> . <版本号> . <校验位>
       root OID      definer USCC(18)   issuer USCC(18)  [0-9A-Z]   3 digits   ISO 7064
                     + 3-digit sequence                   1–64       001–999    MOD 37,36

The check character is ISO/IEC 7064 MOD 37,36 (GB/T 17710) over 类型代码‖颁发机构代码‖流水号‖版本号.
It catches every single-character substitution but — a property of the hybrid system, not of this
code — misses some adjacent transpositions of neighbouring symbols (``67``↔``76``, ``AB``↔``BA``)
in one internal state, about 0.16 % of all adjacent swaps; the USCC check characters and the
licence's SM2 signature cover the rest (docs/keys.md).

Deviation, documented: some provincial platforms use a 6-digit 行政区划代码 as 颁发机构代码
(e.g. ``…MB03271699022.340100.000000016.001.9`` from Anhui). Parsing accepts that so foreign
licences can be read; :func:`build_licence_id` — our own issuance — always requires a USCC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sifa.core.identifiers import IdentifierError, iso7064_mod37_36, validate_uscc

LICENCE_ID_ROOT = "1.2.156.3005.2"
MAX_SERIAL_LENGTH = 64
_SERIAL_RE = re.compile(rf"^[0-9A-Z]{{1,{MAX_SERIAL_LENGTH}}}$")
_DIVISION_RE = re.compile(r"^[1-9][0-9]{5}$")


@dataclass(frozen=True)
class LicenceId:
    """A parsed, validated 电子证照标识. ``str()`` gives the canonical (upper-case) form."""

    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    @property
    def definer_code(self) -> str:
        """证照定义机构的统一社会信用代码 (first 18 characters of the type code)."""
        return self.type_code[:18]

    @property
    def type_sequence(self) -> str:
        return self.type_code[18:]

    @property
    def issuer_is_uscc(self) -> bool:
        return len(self.issuer_code) == 18

    def __str__(self) -> str:
        return ".".join(
            [
                LICENCE_ID_ROOT,
                self.type_code,
                self.issuer_code,
                self.serial,
                f"{self.version:03d}",
                self.check,
            ]
        )


def _error(code: str, message: str) -> IdentifierError:
    return IdentifierError(f"licence_id.{code}", message)


def licence_type_code(definer_uscc: str, sequence: int | str) -> str:
    """证照类型代码: the defining body's USCC + a 3-digit sequence (``11100000000013338W011``)."""
    try:
        definer = validate_uscc(definer_uscc)
    except IdentifierError as error:
        raise _error("type_code", f"证照类型代码中的定义机构代码无效：{error.message}") from None
    text = f"{sequence:03d}" if isinstance(sequence, int) else str(sequence)
    if not re.fullmatch(r"[0-9]{3}", text):
        raise _error("type_code", "证照类型代码的顺序号应为3位数字")
    return definer + text


def _check_type_code(type_code: str) -> None:
    if len(type_code) != 21 or not re.fullmatch(r"[0-9]{3}", type_code[18:]):
        raise _error("type_code", "证照类型代码应为21位：定义机构统一社会信用代码（18位）+ 3位数字")
    try:
        validate_uscc(type_code[:18])
    except IdentifierError as error:
        raise _error("type_code", f"证照类型代码中的定义机构代码无效：{error.message}") from None


def _check_issuer(issuer: str, *, allow_division: bool) -> None:
    if allow_division and _DIVISION_RE.match(issuer):
        return
    if len(issuer) != 18:
        raise _error("issuer", "颁发机构代码应为18位统一社会信用代码")
    try:
        validate_uscc(issuer)
    except IdentifierError as error:
        raise _error("issuer", f"颁发机构代码无效：{error.message}") from None


def _check_serial(serial: str) -> None:
    if not _SERIAL_RE.match(serial):
        raise _error("serial", f"流水号应为1至{MAX_SERIAL_LENGTH}位数字或大写字母")


def _check_version(version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 999:
        raise _error("version", "版本号应为001至999")


def build_licence_id(type_code: str, issuer_uscc: str, serial: str, version: int = 1) -> str:
    """The identifier for a licence we issue; every part is validated, the issuer must be a USCC."""
    type_code, issuer_uscc, serial = (part.strip().upper() for part in (type_code, issuer_uscc, serial))
    _check_type_code(type_code)
    _check_issuer(issuer_uscc, allow_division=False)
    _check_serial(serial)
    _check_version(version)
    body = f"{type_code}{issuer_uscc}{serial}{version:03d}"
    return str(LicenceId(type_code, issuer_uscc, serial, version, iso7064_mod37_36(body)))


def parse_licence_id(value: str) -> LicenceId:
    """Validate an identifier and return its parts, or raise IdentifierError (``licence_id.*``).

    Checks, in order: the root OID, five dot-separated parts, the type code (a valid USCC + 3
    digits), the issuer (a valid USCC, or a 6-digit division code), serial, version, and last the
    check character, so the message names the first real problem.
    """
    text = (value or "").strip().upper()
    if not text.startswith(LICENCE_ID_ROOT + "."):
        raise _error("root", f"电子证照标识应以 {LICENCE_ID_ROOT}. 开头")
    parts = text[len(LICENCE_ID_ROOT) + 1 :].split(".")
    if len(parts) != 5 or not all(parts):
        raise _error("format", "电子证照标识应为：根标识.类型代码.颁发机构代码.流水号.版本号.校验位")
    type_code, issuer, serial, version_text, check = parts
    _check_type_code(type_code)
    _check_issuer(issuer, allow_division=True)
    _check_serial(serial)
    if not re.fullmatch(r"[0-9]{3}", version_text):
        raise _error("version", "版本号应为3位数字")
    version = int(version_text)
    _check_version(version)
    if len(check) != 1:
        raise _error("check_char", "校验位应为1位数字或大写字母")
    if iso7064_mod37_36(f"{type_code}{issuer}{serial}{version_text}") != check:
        raise _error("check_char", "电子证照标识校验位错误，请核对后重新输入")
    return LicenceId(type_code, issuer, serial, version, check)


def is_valid_licence_id(value: str) -> bool:
    try:
        parse_licence_id(value)
    except IdentifierError:
        return False
    return True
