"""Wire formats: one module per API shape the router speaks.

``openai_chat`` owns the internal request shape (OpenAI chat): validation, the
allowlist of what may be forwarded, the enumeration of every string that leaves
(for the scanner) and the upstream body builder, so what is forwarded is what was
scanned. ``anthropic`` translates the Anthropic front door to and from it,
``anthropic_upstream`` does the same for Anthropic providers, ``openai_stream``
and ``sse`` encode and decode server-sent events.

May import: privacy (its value types), errors.
"""
