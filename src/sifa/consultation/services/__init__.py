"""Consultation commands — the only write path of 12348 法律咨询. Each is atomic and audited.

Split by resource: ``faq`` (the knowledge base kept by consultants), ``tickets`` (a consultation
from any channel: create, answer, transfer, rate, convert), ``routing`` (who answers a question
from a place and of a category; pure reads) and ``escalation`` (overdue tickets go to the level
above, ``sifa escalate-consultations``). Reads are in :mod:`sifa.consultation.selectors`.
"""
