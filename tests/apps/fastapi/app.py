"""A typical FastAPI app (FastAPI 0.115+, pydantic 2): pydantic models,
HTTPException, an API-key dependency, a body limit.

`ERRCAT_DEFECTS=1` plants three defects that `errcat check` must name:
a wrong status (403 for an invalid key, where the catalog says 401), a
leaked traceback (debug mode and a failing root route), and an oversized
body echoed back (no body limit: the 422 repeats the whole input).

Run: `python3 serve.py` (prints `listening on URL`).
"""

import os

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

DEFECTS = os.environ.get("ERRCAT_DEFECTS") == "1"
API_KEY = "sk_test_fastapi"
MAX_BODY = 1024 * 1024

app = FastAPI(title="Shop", debug=DEFECTS)
key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def require_key(key: str | None = Depends(key_header)) -> str:
    if key is None:
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "ApiKey"})
    if key != API_KEY:
        raise HTTPException(403 if DEFECTS else 401, "Invalid API key", headers={"WWW-Authenticate": "ApiKey"})
    return key


class NewItem(BaseModel):
    name: str
    price: int


@app.middleware("http")
async def limit_body(request: Request, call_next):
    length = request.headers.get("content-length")
    if not DEFECTS and length is not None and length.isdigit() and int(length) > MAX_BODY:
        return JSONResponse({"detail": "Request body too large"}, status_code=413)
    return await call_next(request)


@app.get("/")
def root():
    if DEFECTS:
        raise RuntimeError("connection to the database failed")
    return {"name": "shop"}


@app.get("/items")
def list_items():
    return []


@app.post("/items", status_code=201)
def create_item(item: NewItem, key: str = Depends(require_key)):
    return item


@app.get("/items/{item_id}")
def get_item(item_id: int, key: str = Depends(require_key)):
    raise HTTPException(404, f"Item {item_id} not found")
