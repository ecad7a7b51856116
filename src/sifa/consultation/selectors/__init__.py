"""Reads of 12348 法律咨询: the public knowledge base (``faq``) and tickets, always data-scoped
(``tickets``). Nothing here writes."""
