"""两江新区 (500157) is a 国家级新区, not an administrative division (docs/regions.md).

Databases built from the earlier region file have a county-level region 500157 with a 司法局 and
two centres. The corrected file restores 江北区 (500105) and 渝北区 (500112) instead: the next
``sifa import-regions`` moves the townships back to them and ``sifa build-organisations`` adds
their bureaus and moves the 司法所. Nothing is deleted (cases and people may point at these rows);
the zone's own organisations are deactivated here so that nobody is routed to them any more.
"""

from django.db import migrations

ZONE = "500157"


def deactivate_zone_organisations(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    Organisation.objects.filter(region_id=ZONE, is_active=True).update(is_active=False)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0002_organisation_document_code")]

    operations = [migrations.RunPython(deactivate_zone_organisations, migrations.RunPython.noop)]
