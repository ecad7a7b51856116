"""Sifa (司法): the judicial-administration one-stop online government-services platform."""

__version__ = "0.1.0"
