"""Document commands — the only write path of the documents app. Each is atomic and audited.

Split by resource: ``issuing`` (render → number → seal → store → audit one notice or decision),
``numbering`` (the counter behind 发文字号, part of issuing), ``seals`` (a new seal certificate on
an operator's request) and ``withdrawal`` (撤销 a wrong 通报, and the audited read of a circulated one). Rendering (``rendering``), sealing and verifying (``sealing``), the number
format (``numbering``) and reads (``selectors``) write nothing to the database; the CA and seal
certificates are files kept by ``ca``.
"""

from sifa.documents.services.issuing import issue_document
from sifa.documents.services.numbering import next_sequence
from sifa.documents.services.seals import rotate_seal
from sifa.documents.services.withdrawal import record_read, withdraw_document

__all__ = ["issue_document", "next_sequence", "record_read", "rotate_seal", "withdraw_document"]
