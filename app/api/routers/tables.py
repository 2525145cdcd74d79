"""Tables: CSV/TSV text or a JSON table parsed into a create request's custom dataset, and
the bundled real datasets (Iris, digits) in the same form."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import ValidationError

from app.api import schemas
from app.api.deps import limits, respond
from app.api.responses import errors
from app.engine.errors import SpecError
from app.sessions import tables

router = APIRouter(prefix="/api/tables", tags=["tables"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/tab-separated-values": {"schema": {"type": "string"}},
            "application/json": {"schema": schemas.JsonTable.model_json_schema()},
        },
    }
}


def _cell(value: schemas.Cell) -> str:
    return "" if value is None else str(value)


Fraction = Annotated[float, Query(ge=0.0, le=0.9)]
Seed = Annotated[int, Query(ge=0, le=2**32 - 1)]


@router.post(
    "", response_model=schemas.TableOut, responses=errors(400, 413, 415, 422), openapi_extra=_BODY
)
async def parse(
    request: Request,
    target: Annotated[str | None, Query(max_length=100)] = None,
    header: bool | None = None,
    test_fraction: Fraction = 0.2,
    seed: Seed = 0,
    name: Annotated[str, Query(max_length=60)] = "table",
) -> Response:
    """A ``text/csv`` (or ``text/tab-separated-values``, ``text/plain``) body, or a JSON table
    ``{"rows": [[…]], "header": …, "target": …}``, parsed and split: its columns, classes, first
    rows, and ``dataset``, a custom dataset for ``POST /api/networks``. A bad cell is a 422
    naming its row and column."""
    lim = limits(request)
    body = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    target_ref: str | int | None = (
        int(target) if target and target.lstrip("-").isdigit() else target
    )
    options: dict[str, Any] = {"target": target_ref, "header": header}
    if ctype == "application/json":
        try:
            table = schemas.JsonTable.model_validate(orjson.loads(body))
        except orjson.JSONDecodeError:
            raise HTTPException(400, "the body is not JSON") from None
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SpecError(f"table.{where}" if where else "table", first["msg"]) from None
        options = {"target": table.target if table.target is not None else target_ref,
                   "header": table.header if table.header is not None else header}  # fmt: skip
        rows = [[_cell(c) for c in row] for row in table.rows]
        parsed = tables.parse_cells(rows, options, lim)
    elif ctype in ("text/csv", "text/tab-separated-values", "text/plain", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError("table", "is not UTF-8 text") from None
        parsed = tables.parse_text(text, options, lim)
    else:
        raise HTTPException(415, f"content-type {ctype!r}: send text/csv or application/json")
    heavy = parsed.x.size > 5000
    return await respond(heavy, tables.table_view, parsed, name, test_fraction, seed)


@router.get("/{name}", response_model=schemas.TableOut, responses=errors(422))
async def bundled(
    name: Literal["iris", "digits"],
    test_fraction: Fraction = 0.2,
    seed: Seed = 0,
) -> Response:
    """A bundled real dataset (Iris: 150 × 4, 3 classes; digits: 1,797 8 × 8 images, 10
    classes) split with a seed, in the same form as a parsed table."""
    table = tables.bundled_table(name)
    return await respond(name == "digits", tables.table_view, table, name, test_fraction, seed)
