"""Catalogue codes: 基本编码 (Sifa's inferred national structure) and 实施编码 (USCC + 行使层级 + 基本编码).

Codes are opaque strings of up to 50 characters (standards.md §1.3: the national platform and GB/T
39046 disagree on lengths); only the parts we can check are checked: the embedded USCC's check
characters, the 行使层级 digit and, where the basic code starts with a province code, that the
implementing body is registered in that province.
"""

from __future__ import annotations

import re

from sifa.catalogue.models.codes import ExerciseLevel
from sifa.core.identifiers import IdentifierError, validate_uscc

CODE_RE = re.compile(r"^[0-9A-Z]{1,50}$")
BASIC_CODE_RE = re.compile(r"^[0-9A-Z]{4,31}$")
NATIONAL_OWNER = "00"
USCC_LENGTH = 18


def validate_basic_code(value: str) -> str:
    code = (value or "").strip().upper()
    if not BASIC_CODE_RE.match(code):
        raise IdentifierError("catalogue.basic_code.format", "基本编码格式不正确：应为4至31位数字或大写字母")
    return code


def basic_code(type_code: str, main_seq: int, sub_seq: int = 0, owner: str = NATIONAL_OWNER) -> str:
    """Sifa's 12-character basic code: owner(2) + 事项类型(2) + 主项(5) + 子项(3) (standards.md §1.3, [U])."""
    return f"{owner}{type_code}{main_seq:05d}{sub_seq:03d}"


def implementation_code(uscc: str, exercise_level: str, basic: str) -> str:
    return f"{uscc}{exercise_level}{basic}"


def validate_implementation_code(value: str, *, basic: str | None = None) -> tuple[str, str, str]:
    """Split and check a 实施编码; returns (uscc, level digit, basic code) or raises IdentifierError."""
    code = (value or "").strip().upper()
    if not CODE_RE.match(code) or len(code) < USCC_LENGTH + 2:
        raise IdentifierError(
            "catalogue.implementation_code.format",
            "实施编码格式不正确：应为统一社会信用代码（18位）+行使层级（1位）+基本编码",
        )
    uscc, level, rest = code[:USCC_LENGTH], code[USCC_LENGTH], code[USCC_LENGTH + 1 :]
    try:
        validate_uscc(uscc)
    except IdentifierError as exc:
        raise IdentifierError(
            "catalogue.implementation_code.uscc", f"实施编码中的实施主体代码无效：{exc.message}"
        ) from None
    if level not in ExerciseLevel.values:
        raise IdentifierError("catalogue.implementation_code.level", "实施编码第19位应为行使层级代码（1至7）")
    if basic is not None and rest != basic:
        raise IdentifierError("catalogue.implementation_code.basic", "实施编码中的基本编码与事项不一致")
    owner = rest[:2]
    if owner.isdigit() and owner != NATIONAL_OWNER and uscc[2:4] != owner:
        raise IdentifierError(
            "catalogue.implementation_code.region", "实施主体的登记区划与地方基本编码所属省份不一致"
        )
    return uscc, level, rest
