"""Where answers come from: the embedded llama.cpp runner (and its reply shapes, chat
templates, model fetching), cloud and on-prem providers over httpx, and resilience
(retries, circuit breaker). Bodies arrive already scanned and transformed.

May import: wire, config, errors.
"""
