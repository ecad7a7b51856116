"""Public consultation pages (``faq``: the knowledge base)."""
