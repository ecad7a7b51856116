"""The three demo partners, without the database: their kinds, names and made-up USCCs.

Read by :mod:`sifa.exchange.services.partners` (``load-partners``), by the partner simulators and
by the development allow-list in the settings (``SIFA_PARTNER_SIM_PORTS``). The organ names are
real; the codes are invented, with correct check characters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPartner:
    kind: str
    name: str
    uscc: str


DEMO_PARTNERS = (
    DemoPartner("police", "杭州市公安局", "11330100002493988P"),
    DemoPartner("court", "杭州市中级人民法院", "11330100002501925N"),
    DemoPartner("procuratorate", "杭州市人民检察院", "11330100002510151G"),
)
KINDS = tuple(demo.kind for demo in DEMO_PARTNERS)


def demo_partner(kind: str) -> DemoPartner:
    for demo in DEMO_PARTNERS:
        if demo.kind == kind:
            return demo
    raise KeyError(kind)


def simulator_ports(entries: list[str]) -> dict[str, int]:
    """``["police=8101", …]`` → ``{"police": 8101, …}``; unknown kinds and bad ports are ignored."""
    ports: dict[str, int] = {}
    for item in entries:
        kind, _, port = item.partition("=")
        kind = kind.strip()
        if kind in KINDS and port.strip().isdigit() and 0 < int(port) < 65536:
            ports[kind] = int(port)
    return ports


def simulator_endpoint(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/exchange/"


def simulator_allow_list(entries: list[str]) -> list[str]:
    """The allow-list entries (``USCC=URL``) of the simulators on loopback (development only)."""
    return [
        f"{demo_partner(kind).uscc}={simulator_endpoint(port)}"
        for kind, port in simulator_ports(entries).items()
    ]
