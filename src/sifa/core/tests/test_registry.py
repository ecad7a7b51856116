"""The one adapter registry: register, replace, get with a clear error, order, listing, override.
(``tests/test_adapter_registries.py`` checks that every adapter family of Sifa is one.)"""

from __future__ import annotations

import pytest

from sifa.core.registry import Registry, UnknownAdapter, registries


class Greeter:
    def __init__(self, word: str) -> None:
        self.word = word


def test_register_get_and_keep_the_order() -> None:
    family: Registry[Greeter] = Registry("test.greeters", "问候")
    hello, hi = Greeter("hello"), Greeter("hi")
    family.register("b", hello)
    family.register("a", hi)
    assert family.get("b") is hello
    assert family.names() == ["b", "a"]
    assert list(family) == [hello, hi]
    assert "a" in family and "c" not in family and len(family) == 2


def test_a_name_is_registered_once() -> None:
    family: Registry[Greeter] = Registry("test.once", "问候")
    family.register("a", Greeter("x"))
    with pytest.raises(ValueError, match="already registered"):
        family.register("a", Greeter("y"))
    with pytest.raises(ValueError, match="needs a name"):
        family.register("", Greeter("z"))


def test_unknown_name_says_which_family_and_what_exists() -> None:
    family: Registry[Greeter] = Registry("test.unknown", "问候渠道")
    family.register("local", Greeter("x"))
    with pytest.raises(UnknownAdapter) as caught:
        family.get("carrier")
    assert str(caught.value) == "问候渠道（test.unknown）中没有“carrier”；已登记：local"
    assert (caught.value.family, caught.value.name) == ("test.unknown", "carrier")
    assert isinstance(caught.value, LookupError)


def test_replace_fills_a_slot_in_place_and_refuses_a_new_name() -> None:
    family: Registry[Greeter] = Registry("test.replace", "问候")
    first, second, real = Greeter("1"), Greeter("2"), Greeter("real")
    family.register("one", first)
    family.register("two", second)
    assert family.replace("one", real) is first
    assert list(family) == [real, second]  # the slot keeps its place in the order
    with pytest.raises(UnknownAdapter):
        family.replace("typo", Greeter("x"))
    assert family.names() == ["one", "two"]


def test_override_is_undone_after_the_block_even_on_error() -> None:
    family: Registry[Greeter] = Registry("test.override", "问候")
    kept = family.register("kept", Greeter("kept"))
    with family.override("kept", Greeter("temp")), family.override("extra", Greeter("extra")):
        assert family.names() == ["kept", "extra"]
    assert family.get("kept") is kept and "extra" not in family
    with pytest.raises(RuntimeError), family.override("extra", Greeter("x")):
        raise RuntimeError
    assert "extra" not in family


def test_describe_lists_names_and_classes() -> None:
    family: Registry[Greeter] = Registry("test.describe", "问候")
    family.register("hello", Greeter("hello"))
    assert family.describe() == [{"name": "hello", "adapter": "sifa.core.tests.test_registry.Greeter"}]


def test_one_registry_per_family() -> None:
    family: Registry[Greeter] = Registry("test.single", "问候")
    with pytest.raises(ValueError, match="already exists"):
        Registry("test.single", "问候")
    assert family in registries()
