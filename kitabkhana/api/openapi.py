"""The OpenAPI 3.1 description of /api/ (kept beside the views it describes)."""

from __future__ import annotations

from kitabkhana.catalogue.search.base import FACETS
from kitabkhana.catalogue.search_params import KINDS, MAX_PAGE_SIZE, SORTS

_FACET_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}},
     "style": "form", "explode": True,
     "description": f"Filter on the {name} facet; repeat for OR within the facet."
     + (" Accepts a range such as 1990-2000." if name == "year" else "")}
    for name in FACETS
]

_HIT = {
    "type": "object",
    "required": ["id", "title", "institution", "url"],
    "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "title_original": {"type": ["string", "null"]},
        "author": {"type": ["string", "null"]}, "year": {"type": ["integer", "null"]},
        "material_type": {"type": "string"}, "languages": {"type": "array", "items": {"type": "string"}},
        "institution": {"type": "string"}, "flavour": {"type": "string", "enum": ["marc21", "unimarc"]},
        "cluster": {"type": ["integer", "null"],
                    "description": "The union-catalogue cluster (one manifestation) this record belongs to"},
        "held_by": {"type": "array", "items": {"type": "string"},
                    "description": "Codes of every library holding this manifestation (cluster members included)"},
        "score": {"type": ["number", "null"]}, "url": {"type": "string", "format": "uri"},
    },
}

_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "parameter": {"type": "string"}}}


def openapi_document(*, server: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kitabkhana catalogue API", "version": "1",
                 "description": "Search the national union catalogue and read records (MARC-in-JSON)."},
        "servers": [{"url": server}],
        "paths": {
            "/search": {"get": {
                "operationId": "search",
                "summary": "Search records, with facet counts",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "Words, \"phrases\", field:value (title, author, subject, isbn, issn, year, "
                                    "language, institution), OR, -exclusion. Persian/Arabic letter variants, "
                                    "diacritics, ZWNJ, ё/е and Turkish i are folded."},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "page_size", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 20}},
                    {"name": "sort", "in": "query",
                     "schema": {"type": "string", "enum": list(SORTS)}},
                    {"name": "facet", "in": "query", "required": False, "style": "form", "explode": True,
                     "schema": {"type": "array", "items": {"type": "string", "enum": list(FACETS)}},
                     "description": "Which facets to count (repeat); all of them when absent."},
                    {"name": "kind", "in": "query",
                     "schema": {"type": "string", "enum": list(KINDS)}},
                    *_FACET_PARAMS,
                ],
                "responses": {
                    "200": {"description": "Results", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["total", "hits", "facets"],
                        "properties": {
                            "total": {"type": "integer"}, "page": {"type": "integer"},
                            "page_size": {"type": "integer"}, "hits": {"type": "array", "items": _HIT},
                            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {
                                "type": "object", "properties": {"value": {"type": "string"},
                                                                 "count": {"type": "integer"}}}}},
                            "facets_estimated": {"type": "boolean", "description":
                                                 "Some facet counts are estimates (see estimated_facets); "
                                                 "the total is always exact."},
                            "estimated_facets": {"type": "array", "items": {"type": "string"}, "description":
                                                 "Facets whose counts are estimates: all of them when over "
                                                 "50 000 records matched (counted on a 1/16 sample), or a "
                                                 "facet whose values were counted in several columns."},
                        }}}}},
                    "400": {"description": "A bad parameter or query", "content": {"application/json": {"schema": _ERROR}}},
                },
            }},
            "/records/{id}": {"get": {
                "operationId": "record",
                "summary": "One record: derived fields, labelled display, holdings and MARC-in-JSON",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {"description": "The record", "content": {"application/json": {"schema": {
                        "allOf": [_HIT, {"type": "object", "properties": {
                            "marc": {"type": "object", "description": "MARC-in-JSON"},
                            "holdings": {"type": "array", "items": {"type": "object"}},
                            "display": {"type": "array", "items": {"type": "object"}},
                        }}]}}}},
                    "404": {"description": "No such record", "content": {"application/json": {"schema": _ERROR}}},
                },
            }},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }
