"""A local Presidio analyzer + anonymizer service, for LiteLLM's Presidio guardrail.

LiteLLM's ``presidio`` guardrail calls Presidio over HTTP (``POST /analyze``, then
``POST /anonymize`` when something was found), as served by Presidio's docker images.
This serves the same two endpoints with the same JSON shapes on 127.0.0.1, from the
``presidio-analyzer`` package already in this project's venv:

* ``/analyze``: ``{"text", "language", "entities"?, "score_threshold"?, ...}`` ->
  a JSON list of ``RecognizerResult.to_dict()`` (``entity_type``, ``start``, ``end``,
  ``score``, ``analysis_explanation``, ``recognition_metadata``), as the image's
  ``app.py`` returns; errors are ``{"error": ...}`` with 400/500.
* ``/anonymize``: ``{"text", "analyzer_results", "anonymizers"?}`` ->
  ``{"text", "items": [{"start", "end", "entity_type", "text", "operator"}]}``.
  The ``presidio-anonymizer`` package is not installed here (and is not a project
  dependency), so this applies Presidio's default operator itself: each span becomes
  ``<ENTITY_TYPE>``, overlapping spans resolved in favour of the higher score, then
  the longer span.
* ``/stats``: how many calls each endpoint served (the bench checks the guardrail ran).

The engine is stock ``AnalyzerEngine`` on the same spaCy model our scanner uses (the
installed small English model; the docker image uses ``en_core_web_lg``, which is
slower), all default
recognizers. Requests are analysed one at a time on one worker thread, like the
image's single gunicorn sync worker (LiteLLM serialises its calls anyway).

    .venv/bin/python bench/presidio_server.py --port 5002
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# The analyzer request fields the image's app.py passes on to AnalyzerEngine.analyze.
_ANALYZE_ARGS = (
    "entities",
    "correlation_id",
    "score_threshold",
    "return_decision_process",
    "context",
    "allow_list",
    "allow_list_match",
    "regex_flags",
)


def anonymize(text: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Presidio's default ``replace`` operator: each kept span becomes ``<TYPE>``."""
    ranked = sorted(results, key=lambda r: (-float(r.get("score", 0)), r["start"] - r["end"]))
    kept: list[dict[str, Any]] = []
    for r in ranked:
        if all(r["end"] <= k["start"] or r["start"] >= k["end"] for k in kept):
            kept.append(r)
    kept.sort(key=lambda r: r["start"])
    out, items, pos = [], [], 0
    for r in kept:
        out.append(text[pos : r["start"]])
        new = f"<{r['entity_type']}>"
        start = sum(len(x) for x in out)
        out.append(new)
        items.append(
            {
                "start": start,
                "end": start + len(new),
                "entity_type": r["entity_type"],
                "text": new,
                "operator": "replace",
            }
        )
        pos = r["end"]
    out.append(text[pos:])
    return {"text": "".join(out), "items": items}


def make_app(model: str) -> Starlette:
    # Also sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS, so Presidio's e-mail recognizer uses
    # the bundled public suffix list instead of fetching one.
    from scan_quality import stock_engine

    engine = stock_engine(model)
    worker = ThreadPoolExecutor(1, thread_name_prefix="presidio")
    calls = {"analyze": 0, "anonymize": 0}  # read by the bench: was the guardrail on?

    async def analyze(request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "Invalid request json"}, status_code=400)
        text, language = data.get("text"), data.get("language")
        if not text:
            return JSONResponse({"error": "No text provided"}, status_code=500)
        if not language:
            return JSONResponse({"error": "No language provided"}, status_code=500)
        kwargs = {k: data[k] for k in _ANALYZE_ARGS if data.get(k) is not None}
        calls["analyze"] += 1

        def run() -> list[Any]:
            return list(engine.analyze(text=text, language=language, **kwargs))

        try:
            found = await asyncio.get_running_loop().run_in_executor(worker, run)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        body = json.dumps(found, default=lambda o: o.to_dict(), sort_keys=True)
        return Response(body, media_type="application/json")

    async def anonymize_endpoint(request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "Invalid request json"}, status_code=400)
        results = data.get("analyzer_results") or []
        calls["anonymize"] += 1
        return JSONResponse(anonymize(data.get("text", ""), results))

    async def health(request: Request) -> Response:
        return PlainTextResponse("Presidio Analyzer service is up")

    async def stats(request: Request) -> Response:
        return JSONResponse(calls)

    return Starlette(
        routes=[
            Route("/analyze", analyze, methods=["POST"]),
            Route("/anonymize", anonymize_endpoint, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/stats", stats, methods=["GET"]),
        ]
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", help="installed spaCy model (default: our scanner's)")
    args = ap.parse_args()
    if args.model is None:
        from edge_router.privacy.settings import ScannerSettings

        args.model = ScannerSettings().spacy_model
    app = make_app(args.model)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
