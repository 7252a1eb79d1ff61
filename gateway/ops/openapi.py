"""The ops API's OpenAPI 3 document, built from the operations each route module declares.

A route and its schema are declared together (`OpsOperation`), so adding one is one entry in a
route module's list; `build_document` assembles the paths and the shared components.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JsonSchema = dict[str, Any]

ERROR_SCHEMA: JsonSchema = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
}


def ref(name: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{name}"}


def query_param(name: str, schema: JsonSchema, description: str) -> JsonSchema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def path_param(name: str, schema: JsonSchema) -> JsonSchema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


@dataclass(frozen=True, slots=True)
class OpsOperation:
    path: str
    method: str
    operation_id: str
    summary: str
    responses: Mapping[int, tuple[str, JsonSchema]]  # status → (description, schema)
    parameters: Sequence[JsonSchema] = field(default_factory=tuple)
    body: JsonSchema | None = None  # an optional JSON request body
    success_type: str = "application/json"  # the media type of the 2xx answers

    def media_type(self, status: int) -> str:
        return self.success_type if 200 <= status < 300 else "application/json"

    def as_openapi(self) -> JsonSchema:
        answers = {
            401: ("Missing or wrong bearer token", ref("Error")),
            403: ("The ops API is closed: no token is configured", ref("Error")),
            503: ("The store is unavailable", ref("Error")),
            **self.responses,
        }
        document: JsonSchema = {
            "operationId": self.operation_id,
            "summary": self.summary,
            "parameters": list(self.parameters),
            "security": [{"bearerAuth": []}],
            "responses": {
                str(status): {
                    "description": description,
                    "content": {self.media_type(status): {"schema": schema}},
                }
                for status, (description, schema) in sorted(answers.items())
            },
        }
        if self.body is not None:
            document["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": self.body}},
            }
        return document


def build_document(
    operations: Iterable[OpsOperation], schemas: Mapping[str, JsonSchema], *, version: str
) -> JsonSchema:
    paths: dict[str, dict[str, JsonSchema]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = operation.as_openapi()
    return {
        "openapi": "3.0.3",
        "info": {"title": "revcycle ops API", "version": version},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, **schemas},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
