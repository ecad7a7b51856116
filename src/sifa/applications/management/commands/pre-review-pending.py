"""``sifa pre-review-pending``: run the automatic pre-review of submitted applications it missed."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.prereview import run_pre_review


class Command(BaseCommand):
    help = "Run the automatic pre-review of submitted applications whose task was lost"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, default=5, help="minutes since receipt")

    def handle(self, *args, older_than: int, **options) -> None:
        cutoff = timezone.now() - dt.timedelta(minutes=older_than)
        ids = (
            Application.objects.filter(status=ApplicationStatus.SUBMITTED, received_at__lt=cutoff)
            .exclude(findings__resolved=False)
            .values_list("pk", flat=True)
        )
        done = sum(1 for pk in ids if run_pre_review(pk) is not None)
        self.stdout.write(f"pre-reviewed {done} application(s)")
