"""Wire formats: one module per API shape the router speaks.

``openai_chat`` owns the internal request shape (OpenAI chat): validation, the
allowlist of what may be forwarded, the enumeration of every string that leaves
(for the scanner) and the upstream body builder, so what is forwarded is what was
scanned. ``anthropic_model`` is the validated Anthropic Messages request, used both
ways; ``anthropic`` translates the Anthropic front door to and from the internal
shape, ``anthropic_upstream`` does the same for Anthropic providers.
``openai_completions`` (legacy text completions) and ``openai_embeddings`` do for
their endpoints what ``openai_chat`` does for chat. ``openai_stream`` and ``sse``
encode and decode server-sent events.

May import: privacy (its value types), errors.
"""
