"""`sifa documents ca-cert|seal-certs|rotate-seal`: the platform CA and seal certificates.

Only certificates (public data) are ever printed; private keys stay in their 0600 files. Rotating
is a command (``services.rotate_seal``, audited as ``documents.seal.rotate``).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifa.core.errors import ServiceError
from sifa.documents.ca import certificate_name, default_authority
from sifa.documents.services import rotate_seal


class Command(BaseCommand):
    help = "电子印章：ca-cert 输出平台根证书 PEM；seal-certs 列出机构的印章证书；rotate-seal 为机构签发新印章证书"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("ca-cert", help="输出平台根证书（PEM），用于 pdfsig/certutil 信任")
        listing = actions.add_parser("seal-certs", help="列出某机构的全部印章证书")
        listing.add_argument("uscc", help="机构的统一社会信用代码")
        rotate = actions.add_parser("rotate-seal", help="为机构签发新的印章证书（旧证书盖的文书仍可验证）")
        rotate.add_argument("uscc", help="机构的统一社会信用代码")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except ServiceError as error:
            raise CommandError(f"[{error.code}] {error.message}") from None

    def _ca_cert(self, options: dict[str, Any]) -> None:
        self.stdout.write(default_authority().ca_certificate_pem(), ending="")

    def _seal_certs(self, options: dict[str, Any]) -> None:
        certificates = default_authority().seal_certificates(options["uscc"])
        if not certificates:
            self.stdout.write("（该机构还没有印章证书；第一次盖章时自动签发。）")
        for certificate in certificates:
            self.stdout.write(
                f"# serial={certificate.serial_number:x} CN={certificate_name(certificate)} "
                f"{certificate.not_valid_before_utc.isoformat()} → {certificate.not_valid_after_utc.isoformat()}"
            )
            self.stdout.write(certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"), ending="")

    def _rotate_seal(self, options: dict[str, Any]) -> None:
        credentials = rotate_seal(options["uscc"])
        self.stdout.write(
            self.style.SUCCESS(f"新的印章证书：serial={credentials.serial_hex}（旧证书盖章的文书仍可验证）")
        )
