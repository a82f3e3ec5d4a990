"""GovReach's own person and household registries, as Digital Registries (read-only through the API)."""

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from govreach.govstack.schemas_builtin import BUILTIN_SCHEMAS, BUILTIN_VERSION

    registry_model = apps.get_model("govstack", "Registry")
    schema_model = apps.get_model("govstack", "RegistrySchema")
    for kind, schema in BUILTIN_SCHEMAS.items():
        registry, _created = registry_model.objects.get_or_create(
            name=str(kind),
            defaults={
                "kind": str(kind),
                "description": str(schema["description"]),
                "institution": "GovReach",
                "group_name": "GovReach",
                "catalog_name": "GovReach registries",
            },
        )
        schema_model.objects.get_or_create(registry=registry, version=BUILTIN_VERSION, defaults={"schema": schema})


class Migration(migrations.Migration):
    dependencies = [("govstack", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
