"""The schemas (JSON Schema, version 1.0) of GovReach's own registries as Digital Registries.

Plain data, no imports: the migration that creates these registries reads it.
"""

from __future__ import annotations

from typing import Any


# -- the schemas of GovReach's own registries ----------------------------------------------------------
def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


PERSONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "GovReach's person registry (after record linkage); "
    "fed by registry imports, read-only here.",
    "properties": {
        "id": {**_text("Opaque person id (UUID) for this API"), "readOnly": True},
        "nationalId": _text("National id, where the person has one"),
        "firstName": _text("Given name"),
        "lastName": _text("Family name"),
        "birthDate": {"type": "string", "format": "date", "description": "Date of birth"},
        "sex": {"type": "string", "enum": ["", "F", "M", "X"], "description": "F, M or X (other)"},
        "address": _text("Address"),
        "postcode": _text("Postcode"),
        "areaCode": _text("Code of the area of residence"),
        "phone": _text("Mobile phone (E.164)"),
        "preferredLanguage": _text("Preferred language"),
        "householdIds": {"type": "array", "items": {"type": "string"}, "description": "Opaque household ids"},
    },
    "required": ["id"],
}
HOUSEHOLDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "GovReach's household registry; fed by registry imports, read-only here.",
    "properties": {
        "id": {**_text("Opaque household id (UUID) for this API"), "readOnly": True},
        "reference": _text("The registries' household reference"),
        "address": _text("Address"),
        "postcode": _text("Postcode"),
        "areaCode": _text("Code of the area"),
        "memberIds": {"type": "array", "items": {"type": "string"}, "description": "Opaque ids of members"},
    },
    "required": ["id"],
}
BUILTIN_SCHEMAS = {"persons": PERSONS_SCHEMA, "households": HOUSEHOLDS_SCHEMA}
BUILTIN_VERSION = "1.0"
