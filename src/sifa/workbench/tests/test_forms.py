"""``DecoratedForm``: an unbound form is decorated once it is built, fields its ``__init__`` adds
included; a bound one is validated only when asked — against the choices its ``__init__`` set —
and decorated then, with its error ids."""

from __future__ import annotations

from typing import Any

from django import forms

from sifa.workbench.forms import DecoratedForm


class PlaceForm(DecoratedForm):
    place = forms.ChoiceField(label="地点", help_text="选择办理地点")

    def __init__(self, *args: Any, places: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places
        self.fields["note"] = forms.CharField(label="说明", widget=forms.Textarea)


def test_an_unbound_form_is_decorated_with_the_fields_its_init_adds():
    form = PlaceForm(places=[("a", "甲")])
    assert form.fields["place"].widget.attrs["class"] == "sifa-select"
    assert form.fields["place"].widget.attrs["aria-describedby"] == "id_place-hint"
    assert form.fields["note"].widget.attrs["class"] == "sifa-input wb-textarea"
    assert 'class="sifa-input wb-textarea"' in str(form["note"])


def test_a_bound_form_is_validated_against_the_choices_its_init_sets():
    form = PlaceForm({"place": "a", "note": ""}, places=[("a", "甲")])
    assert not form.is_valid()
    assert list(form.errors) == ["note"]
    assert form.fields["note"].widget.attrs["aria-describedby"] == "id_note-error"
    assert form.fields["place"].widget.attrs["aria-describedby"] == "id_place-hint"


def test_a_bound_form_rendered_without_validating_is_decorated_with_its_errors():
    form = PlaceForm({"place": "b"}, places=[("a", "甲")])
    html = str(form["place"])
    assert 'class="sifa-select"' in html
    assert 'aria-describedby="id_place-hint id_place-error"' in html
