"""HTTP front doors: OpenAI, Anthropic and admin endpoints, and API-key authentication.

Thin: parse the body with the wire format's parser, hand it to ``flow``, turn the
outcome (or a RouterError) into a response in the caller's API shape.

May import: flow, routing, privacy, wire, backends, record, load, state, config, errors.
"""
