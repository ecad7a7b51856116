"""The SpiffWorkflow adapter: restricted conditions, validated process files, per-case state."""
