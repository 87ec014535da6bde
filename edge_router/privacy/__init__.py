"""Personal data and secrets: normalisation, the scanner (Presidio on spaCy plus our
recognizers), sensitivity rules, reversible redaction and restoration of replies.

The lowest layer: it knows nothing of HTTP, routing or backends.

May import: errors only.
"""
