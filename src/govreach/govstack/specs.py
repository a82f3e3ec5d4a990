"""The four GovStack OpenAPI documents, as copied into ``specs/`` (unchanged; see specs/NOTICE).

``document(name)`` is the parsed file; ``served_document(name, base)`` is what the API serves at its
``openapi.json``: the same document with ``servers`` pointing at where GovReach mounts the building
block and, for the database API, the alias for its dangling ``DatabasesSchema`` reference.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SPECS_DIR = Path(__file__).resolve().parent / "specs"
REGISTRATION = "registration-bb-api.json"
STATISTICS = "registration-bb-statistics-api.json"
REGISTRIES_DATA = "digital-registries-bb-data-api.json"
REGISTRIES_DATABASE = "digital-registries-bb-database-api.json"
DOCUMENTS = (REGISTRATION, STATISTICS, REGISTRIES_DATA, REGISTRIES_DATABASE)


@cache
def _load(name: str) -> dict[str, Any]:
    if name not in DOCUMENTS:
        raise KeyError(name)
    loaded: dict[str, Any] = json.loads((SPECS_DIR / name).read_text(encoding="utf-8"))
    return loaded


def document(name: str) -> dict[str, Any]:
    """A copy of the document as published."""
    return copy.deepcopy(_load(name))


def served_document(name: str, base_url: str) -> dict[str, Any]:
    """The document with its server at ``base_url`` and its known defect worked around."""
    doc = document(name)
    doc["servers"] = [{"url": base_url.rstrip("/"), "description": "GovReach"}]
    schemas = doc.get("components", {}).get("schemas", {})
    if "databasesSchema" in schemas and "DatabasesSchema" not in schemas:
        # The document refers to DatabasesSchema where the schema is named databasesSchema.
        schemas["DatabasesSchema"] = {"$ref": "#/components/schemas/databasesSchema"}
    return doc
