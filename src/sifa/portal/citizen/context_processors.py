"""``care_mode`` for every template: base.html adds the 关怀模式 class to ``<body>`` when it is on."""

from __future__ import annotations

from django.http import HttpRequest

from sifa.portal.citizen.common import care_mode_on


def care_mode(request: HttpRequest) -> dict[str, bool]:
    return {"care_mode": care_mode_on(request)}
