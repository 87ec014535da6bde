"""The decision: policy files, complexity scoring, the pure ``decide()``, the pipeline
that scans a request and decides, and ``explain``.

No I/O on the request path here besides calling the scanner; no HTTP.

May import: privacy, wire, load, errors.
"""
