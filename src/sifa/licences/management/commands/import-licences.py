"""`sifa import-licences <file.jsonl>`: enter existing licences, one JSON object per line.

Each line: ``{"type": "lawyer_licence", "issuer_uscc": "…", "number": "…", "holder_name": "…",
"holder_code": "…", "issue_date": "2020-05-01", "valid_from": "2020-05-01", "valid_until": null,
"particulars": {"practice_organisation": "…"}}``. Every line is checked first; nothing is written
unless all lines are valid (the errors of every bad line are listed at once).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError
from sifa.licences.models import LicenceType
from sifa.licences.services import import_licence
from sifa.licences.types import type_for
from sifa.organisations.models import Organisation

REQUIRED = ("type", "issuer_uscc", "number", "holder_name", "holder_code", "issue_date", "valid_from")


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError("licence.bad_date", f"{field} 不是 YYYY-MM-DD 格式的日期") from None


def _one(row: Any, with_pdf: bool) -> None:
    if not isinstance(row, dict):
        raise ServiceError("licence.bad_line", "每行应为一个 JSON 对象")
    missing = [name for name in REQUIRED if not row.get(name)]
    if missing:
        raise ServiceError("licence.bad_line", f"缺少字段：{'、'.join(missing)}")
    licence_type = type_for(str(row["type"]))
    if licence_type is None:
        raise ServiceError("licence.unknown_type", f"未知的证照类型：{str(row['type'])[:40]}")
    issuer = Organisation.objects.filter(uscc=str(row["issuer_uscc"]).strip().upper()).first()
    if issuer is None:
        raise ServiceError(
            "licence.unknown_issuer", f"未找到统一社会信用代码为 {row['issuer_uscc']} 的颁发机构"
        )
    particulars = row.get("particulars") or {}
    if not isinstance(particulars, dict):
        raise ServiceError("licence.bad_line", "particulars 应为 JSON 对象")
    import_licence(
        licence_type,
        issuer,
        number=str(row["number"]),
        holder_name=str(row["holder_name"]),
        holder_code=str(row["holder_code"]),
        issue_date=_date(row["issue_date"], "issue_date"),
        valid_from=_date(row["valid_from"], "valid_from"),
        valid_until=_date(row.get("valid_until"), "valid_until"),
        particulars={str(k)[:50]: str(v)[:200] for k, v in particulars.items()},
        with_pdf=with_pdf,
    )


class Command(BaseCommand):
    help = "导入存量电子证照（JSON Lines，每行一个证照）；全部行有效才写入，并逐一签名。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSON Lines 文件路径")
        parser.add_argument("--pdf", action="store_true", help="同时生成并加盖电子印章的版式文件（较慢）")

    def handle(self, *args, **options) -> None:
        if not LicenceType.objects.exists():
            raise CommandError("电子证照类型尚未载入，请先运行 sifa load-licence-types")
        try:
            lines = Path(options["file"]).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取文件 {options['file']}：{exc}") from None
        errors: list[str] = []
        count = 0
        with transaction.atomic():
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    with transaction.atomic():
                        _one(json.loads(line), options["pdf"])
                    count += 1
                except json.JSONDecodeError:
                    errors.append(f"第{number}行：不是有效的 JSON")
                except (ServiceError, IdentifierError) as error:
                    errors.append(f"第{number}行：[{error.code}] {error.message}")
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise CommandError("未导入任何证照：\n" + "\n".join(errors))
        self.stdout.write(self.style.SUCCESS(f"已导入 {count} 个电子证照"))
