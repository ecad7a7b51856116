"""The pieces of web pages that the citizen portal and the staff workbench share.

Both sites sit above it; it sits above the domain apps and imports only their services,
selectors and models. Today it holds the apply journey (``journey``: 情形 → form steps →
materials → check and submit, run by the citizen at ``/apply/…`` and by a window clerk for a
walk-in applicant at ``/workbench/window/…``), the HTML form steps generated from a catalogue
version's JSON Schema (``jsonschema_forms``), the GOV.UK-style error summary (``errors``), and
their templates (``web/…``).
"""
