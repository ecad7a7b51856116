"""Signals other apps connect to.

``ready_for_acceptance(sender, application)`` is sent after the commit of the transaction in which
the automatic pre-review ended: passed (status → ``pending_acceptance``) or with findings for the
window to check (status stays ``submitted``). ``sifa.workflow`` connects to it to start the BPMN
process and create the acceptance work item, so the window sees the application in its worklist
either way; sending it only after the commit means a receiver never sees a status that could still
be rolled back.

``application_changed(sender, application, previous_status, changed)`` is sent by
``sifa.applications.services.timeline.transition`` — the one function every status change goes
through — *inside* the command's transaction, after the row and the timeline entry are written:
``application`` is the fresh row, ``previous_status`` the status before, ``changed`` the names of
the fields the transition set (``status`` included when it changed). ``sifa.indicators`` connects to
it to maintain the performance roll-ups in the same transaction; ``sifa.workflow`` to end a case
started for its acceptance when the application is withdrawn before it (``end_on_withdrawal``).
"""

from django.dispatch import Signal

ready_for_acceptance = Signal()

application_changed = Signal()
