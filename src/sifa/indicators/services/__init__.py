"""Writes of the indicators app: the roll-up maintenance (see ``maintenance``)."""

from sifa.indicators.services.maintenance import fold, fold_all, rebuild, record

__all__ = ["fold", "fold_all", "rebuild", "record"]
