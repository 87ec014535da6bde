"""The router's exception tree and its mapping to OpenAI-shaped errors.

    EdgeRouterError                  every exception the router raises on purpose
    ├── ConfigError, PolicyError     startup: a config or policy file is invalid
    ├── CredentialError              startup: a provider's key cannot be read
    ├── RedactionError               redaction cannot be applied faithfully (fail closed)
    ├── AuditError                   the audit store cannot be written or read
    ├── AnthropicStreamError, MalformedUpstream
    │                                an upstream's answer, translated at the boundary
    └── RouterError                  (500, server_error): answered to the client
    RouterError
    ├── BadRequest                   (400, invalid_request_error)
    │   ├── PayloadTooLarge          (413, invalid_request_error)
    │   └── RequestTimeout           (408, invalid_request_error)
    ├── AuthError                    (401, authentication_error)
    ├── Forbidden                    (403, permission_error)
    ├── ModelNotFound                (404, invalid_request_error, code model_not_found)
    ├── PolicyBlocked                (403, policy_violation)
    ├── Saturated                    (503, server_busy; carries Retry-After)
    └── BackendError                 (502, upstream_error; a backend failed)

Every exception raised on the request path is one of these by the time it
reaches the handler; foreign errors (llama.cpp, httpx) are translated where
they happen with ``raise ... from exc``. Messages never contain prompt text or
detected values.
"""

from __future__ import annotations

from typing import Any


class EdgeRouterError(Exception):
    """The root of every exception the router raises on purpose (``except
    EdgeRouterError`` never catches a bug such as a KeyError)."""


class RouterError(EdgeRouterError):
    status = 500
    type = "server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}
        # The routing Evaluation when the error came after the decision (for the audit).
        self.evaluation: Any = None
        # A reply the guard refused: what it found, by type (never values), for the audit.
        self.reply_entity_types: dict[str, int] = {}
        # The answer a provider gave before the guard refused it (a flow.dispatch.Outcome):
        # it ran and was paid for, so it is audited and priced as such.
        self.answered: Any = None

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class BadRequest(RouterError):
    status = 400
    type = "invalid_request_error"


class PayloadTooLarge(BadRequest):
    status = 413
    code = "request_too_large"


class RequestTimeout(BadRequest):
    status = 408
    code = "request_timeout"


class AuthError(RouterError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class Forbidden(RouterError):
    status = 403
    type = "permission_error"


class ModelNotFound(RouterError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class PolicyBlocked(RouterError):
    status = 403
    type = "policy_violation"
    code = "blocked_by_policy"


class Saturated(RouterError):
    status = 503
    type = "server_busy"
    code = "saturated"

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_s))})


class BackendError(RouterError):
    status = 502
    type = "upstream_error"
    code = "backend_failed"
