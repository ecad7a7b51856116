"""Public calendar API: ``GET /api/v1/calendar/{year}/`` — the working-day calendar a year's
deadlines are counted on, official (the State Council's notice) or provisional (the rules of
《全国年节及纪念日放假办法》). Mounted with ``path("", include("sifa.deadlines.api"))`` under ``/api/v1/``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api.schema import error_responses, path_parameter
from sifa.core.errors import NotFound, ServiceError
from sifa.deadlines.calendar import CalendarDataMissing
from sifa.deadlines.selectors import OFFICIAL, PROVISIONAL, year_calendar


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(help_text="节日名称，如 春节、春节（补假）；调休上班日可为空")


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.ChoiceField(
        [
            (OFFICIAL, "正式：已录入国务院办公厅放假安排"),
            (PROVISIONAL, "暂定：按《全国年节及纪念日放假办法》推算"),
        ],
        help_text="official：已录入国务院办公厅的放假安排；provisional：尚未公布，按规则推算（无调休），"
        "计入该年的截止日期均为暂定",
    )
    source = serializers.CharField(help_text="依据：通知文号、chinese-calendar 版本或推算规则")
    non_working_days = CalendarDaySerializer(
        many=True, help_text="普通周末以外的休息日：法定节假日、假期中的周末、补假日，按日期排列"
    )
    make_up_working_days = CalendarDaySerializer(
        many=True, help_text="调休上班的周六、周日（暂定年度没有调休，恒为空）"
    )


class CalendarYearView(APIView):
    """One year of the working-day calendar; anyone may read it (法定节假日 are public)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="某年度的工作日历（免登录）",
        parameters=[path_parameter("year", "年份，四位数字，如 2027")],
        responses={
            200: CalendarYearSerializer,
            **error_responses(
                400,
                404,
                notes={
                    400: "calendar.bad_year：年份不是四位数字",
                    404: "calendar.year_unavailable：该年度没有日历数据",
                },
            ),
        },
        auth=[],
    )
    def get(self, request: Request, year: str) -> Response:
        if not (len(year) == 4 and year.isascii() and year.isdigit()):
            raise ServiceError("calendar.bad_year", f"年份“{year[:20]}”无效：应为四位数字，如 2027")
        try:
            calendar = year_calendar(int(year))
        except CalendarDataMissing:
            raise NotFound(
                f"{year}年没有工作日历数据：未录入国务院办公厅放假安排，也不在按规则推算的年度范围内",
                code="calendar.year_unavailable",
            ) from None
        return Response(CalendarYearSerializer(calendar).data)


urlpatterns = [path("calendar/<str:year>/", CalendarYearView.as_view(), name="api-calendar-year")]
