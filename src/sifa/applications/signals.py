"""Signals other apps connect to.

``ready_for_acceptance(sender, application)`` is sent after the commit of the transaction in which
the automatic pre-review passed (status → ``pending_acceptance``). ``sifa.workflow`` connects to it
to start the BPMN process and create the acceptance work item; sending it only after the commit
means a receiver never sees a status that could still be rolled back.
"""

from django.dispatch import Signal

ready_for_acceptance = Signal()
