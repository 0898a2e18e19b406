"""The base of every API input schema: text arrives without control characters (`pgi.text`)."""

from typing import Any

from ninja import Schema
from pydantic import field_validator

from pgi.text import clean_strings


class CleanSchema(Schema):
    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_strings(value)


def pdf_response(description: str = "Le PDF") -> dict:
    """The OpenAPI `openapi_extra` of an endpoint answering a PDF file."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
