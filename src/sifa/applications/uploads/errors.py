"""Stable rejection codes and their Chinese messages.

API clients switch on the code; the message is what the applicant reads. ``detail`` carries the
technical reason (which PDF name, which zip member) for logs and the security-event stream.
"""

from __future__ import annotations

from django.conf import settings

from sifa.core.errors import ServiceError

ACCEPTED_TYPES = "PDF、JPG、PNG、OFD"

TYPE_NOT_ALLOWED = "upload.type_not_allowed"
TOO_LARGE = "upload.too_large"
EMPTY = "upload.empty"
BAD_NAME = "upload.bad_name"
EXTENSION_MISMATCH = "upload.extension_mismatch"
PDF_ACTIVE_CONTENT = "upload.pdf_active_content"
PDF_UNINSPECTABLE = "upload.pdf_uninspectable"
ENCRYPTED_PDF = "upload.encrypted_pdf"
POLYGLOT = "upload.polyglot"
IMAGE_TOO_LARGE = "upload.image_too_large"
CORRUPT = "upload.corrupt"
COMPRESSION_BOMB = "upload.compression_bomb"
OFD_UNSAFE = "upload.ofd_unsafe"
MALWARE = "upload.malware"
FORMAT_NOT_WANTED = "material.format"
"""The file is a kind the gate accepts but not one the material's 电子文件格式 names (the code
pre-review gives the same problem)."""

MESSAGES: dict[str, str] = {
    TYPE_NOT_ALLOWED: "仅支持 PDF、JPG、PNG、OFD 文件，该文件的实际内容不属于这些类型。",
    TOO_LARGE: "文件超过了大小上限，请压缩或拆分后重新上传。",  # with the limit: message_for()
    EMPTY: "文件为空，请重新选择文件。",
    BAD_NAME: "文件名不合法（含有路径、控制字符、保留名称或过长），请修改文件名后重新上传。",
    EXTENSION_MISMATCH: "文件扩展名与文件的实际类型不符，或文件名中含有可执行文件的扩展名。",
    PDF_ACTIVE_CONTENT: "PDF 含有脚本、自动执行动作、表单提交或嵌入文件等主动内容，"
    "请用“打印为 PDF”重新生成后上传。",
    PDF_UNINSPECTABLE: "PDF 使用了无法安全检查的编码方式，请用“打印为 PDF”重新生成后上传。",
    ENCRYPTED_PDF: "PDF 已加密或设置了权限密码，无法检查，请去除加密后重新上传。",
    POLYGLOT: "文件中混有其他类型文件的数据（多格式混合文件），出于安全原因不予接收。",
    IMAGE_TOO_LARGE: "图片像素尺寸过大，请缩小图片后重新上传。",
    CORRUPT: "文件已损坏或不完整，无法读取，请重新生成后上传。",
    COMPRESSION_BOMB: "文件中的压缩数据解压后过大，疑似压缩炸弹，不予接收。",
    OFD_UNSAFE: "OFD 文件结构不安全（含有附件、可执行内容、异常路径或外部实体），不予接收。",
    MALWARE: "文件含有恶意代码特征，不予接收。",
    FORMAT_NOT_WANTED: "该材料不接收此格式的文件，请按办事指南要求的格式重新上传。",
}


def size_text(max_bytes: int) -> str:
    """A byte limit as people read it: 20 MB, 1.5 MB, 300 KB."""
    mib = max_bytes / (1024 * 1024)
    if mib >= 1:
        return f"{mib:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(max_bytes / 1024))} KB"


def upload_rule(max_bytes: int | None = None) -> str:
    """The rule every upload field states: 文件不能超过 20 MB，仅支持 PDF、JPG、PNG、OFD."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    return f"文件不能超过 {size_text(limit)}，仅支持 {ACCEPTED_TYPES}"


def materials_rule(max_bytes: int | None = None) -> str:
    """What a materials page says once for all its fields: the size limit; each material states its
    own formats (its 电子文件格式, which may be fewer than the gate's four)."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    return f"文件不能超过 {size_text(limit)}，格式以每项材料注明的为准"


def message_for(code: str, max_bytes: int | None = None) -> str:
    """The applicant's message; size and type refusals state the limit they broke."""
    if code == TOO_LARGE:
        return f"{upload_rule(max_bytes)}。该文件超过了大小上限，请压缩或拆分后重新上传。"
    if code == TYPE_NOT_ALLOWED:
        return f"{upload_rule(max_bytes)}。该文件的实际内容不属于这些类型，请转换格式后重新上传。"
    return MESSAGES[code]


class UploadRejected(ServiceError):
    """An upload failed a check; raised inside the gate and turned into a verdict."""

    def __init__(
        self, code: str, detail: str = "", *, message: str | None = None, max_bytes: int | None = None
    ) -> None:
        message = message or message_for(code, max_bytes)
        super().__init__(
            code,
            message,
            errors=[{"field": "file", "code": code, "message": message}],
            status=413 if code == TOO_LARGE else 400,
        )
        self.detail = detail
