"""The S4 upload corpus (security.md §6), built in code at test time: no binary blobs in git."""

from .samples import SAMPLES, Sample, make_pdf, pdf_stream

__all__ = ["SAMPLES", "Sample", "make_pdf", "pdf_stream"]
