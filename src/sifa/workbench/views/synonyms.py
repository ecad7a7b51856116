"""群众常用说法 (the catalogue's search synonyms), kept by catalogue admins.

``/workbench/catalogue/synonyms/`` lists the words that lead searchers to items, and adds or
removes one with a plain POST (no JavaScript) through ``sifa.catalogue.services``: 律师证 →
律师执业许可 makes a search for 律师证 list 律师执业许可 first. An admin may add words for the items
they may author (their organisation's and those below); the list shows every word, since search
uses them all. Staff who author no items get 404, as for any page not theirs.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from sifa.catalogue import services
from sifa.catalogue.models import CatalogueItem, SearchSynonym
from sifa.catalogue.models.synonyms import TERM_MAX_LENGTH
from sifa.core.errors import NotFound, ServiceError
from sifa.organisations.models import Role
from sifa.organisations.scope import subtree_q
from sifa.workbench.access import can_author_catalogue, staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, page, paginate


class SynonymForm(DecoratedForm):
    term = forms.CharField(
        label="群众常用说法",
        max_length=TERM_MAX_LENGTH,
        help_text=f"群众搜索时会输入的词，不超过{TERM_MAX_LENGTH}个字，如“律师证”“开律所”",
        error_messages={
            "required": "请填写群众常用说法，如“律师证”",
            "max_length": f"群众常用说法不能超过{TERM_MAX_LENGTH}个字",
        },
    )
    item_code = forms.ChoiceField(
        label="对应事项",
        help_text="搜索这个词时排在最前面的事项",
        error_messages={"required": "请选择对应事项", "invalid_choice": "请选择您可以维护的事项"},
    )

    def __init__(self, *args, items: list[CatalogueItem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item_code"].choices = [("", "请选择"), *((i.basic_code, i.name) for i in items)]


def _authored_items(request: HttpRequest) -> list[CatalogueItem]:
    actor = request.actor
    if not can_author_catalogue(actor):
        raise Http404("未找到该页面")
    items = CatalogueItem.objects.select_related("owner").order_by("basic_code")
    if not actor.is_superuser:
        items = items.filter(subtree_q("owner__path", actor.paths_for([Role.CATALOGUE_ADMIN])))
    return list(items)


@require_http_methods(["GET", "POST"])
@staff_required
def synonyms_view(request: HttpRequest) -> HttpResponse:
    items = _authored_items(request)
    mine = {item.pk for item in items}
    action = request.POST.get("action", "add")
    adding = request.method == "POST" and action == "add"
    form = SynonymForm(request.POST if adding else None, items=items)
    error = None
    if request.method == "POST":
        try:
            if action == "remove":
                raw = request.POST.get("synonym", "")
                synonym = (
                    SearchSynonym.objects.select_related("item__owner").filter(pk=int(raw)).first()
                    if raw.isdigit() and len(raw) < 12
                    else None
                )
                if synonym is None:
                    raise NotFound("该常用说法不存在或已被删除", code="catalogue.synonym.not_found")
                services.remove_synonym(request.user, synonym)
                messages.success(request, f"已删除“{synonym.term}”。")
                return redirect("workbench-synonyms")
            if form.is_valid():
                synonym = services.add_synonym(
                    request.user, term=form.cleaned_data["term"], item_code=form.cleaned_data["item_code"]
                )
                messages.success(request, f"已添加：搜索“{synonym.term}”时，{synonym.item.name}排在最前面。")
                return redirect("workbench-synonyms")
        except ServiceError as exc:
            error = exc
    rows = SearchSynonym.objects.select_related("item").order_by("term", "item__basic_code")
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(term__contains=q) | rows.filter(item__name__contains=q)
    status = 200 if request.method == "GET" else (error.status if error else 400)
    return page(
        request,
        "workbench/synonyms.html",
        {
            "nav": "catalogue",
            "form": form,
            "page_obj": paginate(request, rows),
            "mine": mine,
            "can_add": bool(items),
            "q": q,
            "errors": error_summary(form if adding else None, error),
        },
        status=status,
    )
