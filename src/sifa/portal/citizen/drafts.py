"""The citizen's side of the apply journey (``sifa.web.journey``): its addresses, and which
applications are the caller's own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from sifa.applications import selectors
from sifa.applications.models import Application
from sifa.applications.services.common import (
    MANDATE_ENDED,
    MANDATE_ENDED_MESSAGE,
    agent_may_act,
    is_applicant_side,
)
from sifa.core.errors import Forbidden, NotFound
from sifa.organisations.scope import actor_for
from sifa.web.journey import Routes, ref_of
from sifa.workflow.selectors import pickup_windows


def _citizen_file_url(app: Application, file_id: str) -> str:
    return reverse("citizen-material-file", args=[ref_of(app), file_id])


CITIZEN = Routes(
    situations="citizen-apply-situations",
    form="citizen-apply-form",
    materials="citizen-apply-materials",
    check="citizen-apply-check",
    file_url=_citizen_file_url,
    pickup="citizen-apply-pickup",
    pickup_windows=pickup_windows,
    mask_on_check=True,
)


def my_application(request: HttpRequest, ref: Any, *, acting: bool = False) -> Application:
    """The caller's own application (as applicant or agent); anyone else is told it does not exist.

    ``acting``: the page changes the application, so an agent whose mandate has ended gets the
    403 page at once (``application.mandate_ended``) instead of a form that can only fail."""
    app = selectors.application(actor_for(request.user), ref)
    if not is_applicant_side(request.user, app):
        raise NotFound()
    if acting and not agent_may_act(request.user, app):
        raise Forbidden(MANDATE_ENDED_MESSAGE, MANDATE_ENDED)
    return app
