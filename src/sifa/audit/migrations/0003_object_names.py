"""Old audit events get the one naming rule for their objects (``app_label.ModelName`` + public id).

The work is :func:`sifa.audit.services.renames.rewrite_object_names`: it checks the old chain (a broken
chain is refused), lifts the append-only triggers inside this migration's transaction, renames and
re-hashes, puts the triggers back, appends an ``audit.chain_rewritten`` event with the old and new
head and every rewritten anchor, and re-anchors after commit (docs/audit.md, "Renaming old events").

It depends on the latest migration of every app whose objects it names, so those models exist.
Reversing it is a no-op: the rewrite event stays, and the chain it describes stays valid.
"""

from django.db import migrations

from sifa.audit.services.renames import rewrite_object_names


def forwards(apps, schema_editor):
    rewrite_object_names(apps.get_model("audit", "AuditEvent"), schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
        ("accounts", "0003_sms"),
        ("applications", "0004_help_text_quotes_the_standards"),
        ("catalogue", "0004_itemversion_limit_start"),
        ("deadlines", "0003_calendar_notice"),
        ("documents", "0003_service_document_kinds"),
        ("licences", "0002_help_text_quotes_the_standards"),
        ("mediation", "0003_help_text_quotes_the_mediation_law"),
        ("notifications", "0001_initial"),
        ("organisations", "0004_calendar_admin_role"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
