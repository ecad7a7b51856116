"""One typed registry for every family of adapters (the model is Open Forms' plugin registry).

A family of adapters — once-only data sources, SMS gateways, notification channels, signature
algorithms, the partner agencies of the exchange to come — is one :class:`Registry` owned by the
app that defines the adapters' interface ``T``::

    gateways: Registry[SmsGateway] = Registry("sms.gateways", "短信网关")
    gateways.register("local", LocalSmsGateway())

    gateways.get(settings.SMS_BACKEND).send(...)

* :meth:`Registry.register` adds an adapter under a new name; a name already taken is refused
  (two adapters claiming one name is a bug, not a preference).
* :meth:`Registry.replace` swaps the adapter installed under a name — how an app plugs the real
  implementation into a slot in its ``AppConfig.ready`` — and refuses a name nobody registered,
  so a typo never installs an adapter that is never asked.
* :meth:`Registry.get` answers the adapter, or raises :class:`UnknownAdapter`, whose message
  names the family, the name asked for and the names that exist.
* Registration order is kept (a family that is asked in order, like once-only, relies on it);
  :meth:`Registry.names`, iteration and :meth:`Registry.describe` list the family for the docs
  and ``/readyz``; :func:`registries` lists every family.
* :meth:`Registry.override` registers or replaces an adapter for one ``with`` block and puts
  everything back afterwards (tests and demos).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")

_FAMILIES: weakref.WeakValueDictionary[str, Registry] = weakref.WeakValueDictionary()


class UnknownAdapter(LookupError):
    """No adapter of the family is registered under the name asked for."""

    def __init__(self, registry: Registry, name: str) -> None:
        known = "、".join(registry.names()) or "无"
        super().__init__(f"{registry.label}（{registry.family}）中没有“{name}”；已登记：{known}")
        self.family = registry.family
        self.name = name


class Registry(Generic[T]):
    """The adapters of one family, by name, in registration order."""

    def __init__(self, family: str, label: str) -> None:
        if family in _FAMILIES:
            raise ValueError(f"a registry for {family!r} already exists")
        self.family = family
        self.label = label
        self._adapters: dict[str, T] = {}
        _FAMILIES[family] = self

    def register(self, name: str, adapter: T) -> T:
        """Add ``adapter`` under ``name``; a name already registered raises ``ValueError``."""
        if not name:
            raise ValueError(f"{self.family}: an adapter needs a name")
        if name in self._adapters:
            raise ValueError(f"{self.family}: {name!r} is already registered; use replace()")
        self._adapters[name] = adapter
        return adapter

    def replace(self, name: str, adapter: T) -> T:
        """Install ``adapter`` in the place of the one registered as ``name``; return the old one."""
        previous = self.get(name)
        self._adapters[name] = adapter
        return previous

    def get(self, name: str) -> T:
        try:
            return self._adapters[name]
        except KeyError:
            raise UnknownAdapter(self, name) from None

    def names(self) -> list[str]:
        return list(self._adapters)

    def items(self) -> list[tuple[str, T]]:
        return list(self._adapters.items())

    def __contains__(self, name: object) -> bool:
        return name in self._adapters

    def __iter__(self) -> Iterator[T]:
        """The adapters, in registration order."""
        return iter(list(self._adapters.values()))

    def __len__(self) -> int:
        return len(self._adapters)

    def describe(self) -> list[dict[str, str]]:
        """``[{name, adapter}]`` with the adapter's class path, for the docs and health checks."""
        return [
            {"name": name, "adapter": f"{type(adapter).__module__}.{type(adapter).__qualname__}"}
            for name, adapter in self._adapters.items()
        ]

    @contextmanager
    def override(self, name: str, adapter: T) -> Iterator[T]:
        """Register or replace ``name`` for the block; afterwards the family is as it was."""
        saved = dict(self._adapters)
        self._adapters[name] = adapter
        try:
            yield adapter
        finally:
            self._adapters = saved

    def __repr__(self) -> str:
        return f"<Registry {self.family}: {', '.join(self._adapters)}>"


def registries() -> list[Registry]:
    """Every family registered in this process, by family name."""
    return [_FAMILIES[family] for family in sorted(_FAMILIES)]
