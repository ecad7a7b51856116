"""Command-line checks a person would run: poppler's pdfsig with our CA trusted, openssl, zbarimg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def pdfsig(pdf: bytes, ca_pem: str, workdir: Path) -> str:
    """pdfsig's report for ``pdf`` with the platform CA trusted in a fresh NSS database."""
    nss = workdir / "nss"
    if not nss.exists():
        nss.mkdir()
        (workdir / "ca.pem").write_text(ca_pem)
        subprocess.run(
            ["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True, capture_output=True
        )
        subprocess.run(
            [
                "certutil",
                "-A",
                "-d",
                f"sql:{nss}",
                "-n",
                "sifa-ca",
                "-t",
                "CT,C,C",
                "-i",
                str(workdir / "ca.pem"),
            ],
            check=True,
            capture_output=True,
        )
    target = workdir / "document.pdf"
    target.write_bytes(pdf)
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(target)], capture_output=True, text=True)
    return result.stdout + result.stderr


def has(*commands: str) -> bool:
    return all(shutil.which(command) for command in commands)
