"""The OpenAPI document, told whole: every error each operation can answer, and the one
JSON body every error carries (`Problem`).

FastAPI documents what a route declares; the Guard's refusals (413, 429, 400 for JSON
nested too deep) and the handlers' own errors are added here, to the generated document,
and checked against the running server by tests/api/test_openapi_fuzz.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from api.limits import MAX_JSON_DEPTH
from api.middleware import UNLIMITED_PATHS


class Problem(BaseModel):
    """Every error's body. Only for the document: handlers answer with `problem()`."""

    error: str = Field(description="What was wrong, and what to do about it.")
    status: int = Field(description="The HTTP status again.")
    details: list[str] | None = Field(
        default=None, description="With 422: one line per field that failed validation.")


GUARD = {
    413: "The body is larger than OMEGA_MAX_REQUEST_BYTES (16 KB), whether sent with "
         "Content-Length or chunked; refused before it is parsed",
    429: "Too many requests from this address; retry after Retry-After seconds",
}
JSON_BODY = {400: f"The body is not UTF-8 JSON that can be parsed, or nests arrays/objects "
                  f"more than {MAX_JSON_DEPTH} deep"}
VALIDATION = {422: "A parameter or body field is invalid; `details` names each"}
INDEX_LOADING = "The title index is still loading; retry after Retry-After seconds"
KAFKA_DOWN = "Kafka did not acknowledge the write; retry after Retry-After seconds"
OPERATION_ERRORS: dict[tuple[str, str], dict[int, str]] = {
    ("post", "/api/search"): {503: INDEX_LOADING},
    ("post", "/api/recommendations"): {503: INDEX_LOADING},
    ("get", "/api/titles/{title_id}"): {404: "No title with this id in the catalog",
                                        503: INDEX_LOADING},
    ("get", "/api/titles/{title_id}/poster"): {
        404: "No poster: TMDB is not configured or has none for this title",
        502: "TMDB's image server cannot be reached or refused"},
    ("get", "/api/titles/{title_id}/cover.svg"): {404: "No title with this id in the catalog"},
    ("post", "/api/analytics"): {401: "The session token is forged, expired or missing",
                                 503: KAFKA_DOWN},
    ("post", "/v1/sync"): {503: "Kafka did not acknowledge the delta, or the API is still "
                                "reading the catalog (title ids cannot be checked yet); retry "
                                "after Retry-After seconds"},
    ("get", "/api/health"): {503: "Degraded: the body says which part (Kafka, views, index) "
                                  "is missing"},
}
NOT_PROBLEMS = {("get", "/api/health", "503")}  # degraded health: the status body itself
PROBLEM_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def errors_of(method: str, path: str, operation: dict[str, Any]) -> dict[int, str]:
    """Every error status this operation can answer, with what it means."""
    codes = {code: text for code, text in GUARD.items()
             if code != 429 or path not in UNLIMITED_PATHS}
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        codes |= JSON_BODY
    if body or operation.get("parameters"):
        codes |= VALIDATION
    return codes | OPERATION_ERRORS.get((method, path), {})


def add_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every operation's errors, each described by the Problem schema."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
        Problem.model_json_schema())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, text in errors_of(method, path, operation).items():
                responses.setdefault(str(code), {"description": text})
            for code, response in responses.items():
                if code[0] in "45" and (method, path, code) not in NOT_PROBLEMS:
                    response["content"] = PROBLEM_REF  # replaces FastAPI's HTTPValidationError
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def document_errors(app: FastAPI) -> None:
    """Makes `app.openapi()` add every operation's errors to what FastAPI generates."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
