"""Portal pages. The home page is a search box and the ways into the catalogue."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"nav": "home"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Chinese 404 page for every unmatched URL (API paths answer JSON in the API error shape)."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "not_found", "message": "未找到您要访问的内容"}, status=404)
    context = {"title": "页面不存在", "message": "您访问的页面不存在或已被移除。", "code": "not_found"}
    return render(request, "portal/error.html", context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Never a bare 500 page: a Chinese message with a stable code (the error is logged by Django)."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "server_error", "message": "服务暂时不可用，请稍后再试"}, status=500)
    context = {
        "title": "服务暂时不可用",
        "message": "请稍后再试。如问题持续，请联系咨询电话。",
        "code": "server_error",
    }
    return render(request, "portal/error.html", context, status=500)
