"""Document commands — the only write path of the documents app. Each is atomic and audited.

Split by resource: ``issuing`` (render → number → seal → store → audit one notice or decision),
``numbering`` (the counter behind 发文字号, part of issuing) and ``seals`` (a new seal certificate on
an operator's request). Rendering (``rendering``), sealing and verifying (``sealing``), the number
format (``numbering``) and reads (``selectors``) write nothing to the database; the CA and seal
certificates are files kept by ``ca``.
"""

from sifa.documents.services.issuing import issue_document
from sifa.documents.services.numbering import next_sequence
from sifa.documents.services.seals import rotate_seal

__all__ = ["issue_document", "next_sequence", "rotate_seal"]
