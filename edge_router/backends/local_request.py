"""Shape a validated chat request for the local llama.cpp model."""

from __future__ import annotations

from edge_router.backends.base import GenParams
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.errors import BadRequest
from edge_router.wire.openai_chat import ChatRequest


def local_messages(chat: ChatRequest) -> list[dict[str, str]]:
    """Flatten messages to the role/content strings a chat template expects."""
    out: list[dict[str, str]] = []
    for i, m in enumerate(chat.messages):
        content = m.content
        if isinstance(content, list):
            texts: list[str] = []
            for j, part in enumerate(content):
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                else:
                    raise BadRequest(
                        "The local model accepts text content parts only.",
                        param=f"messages.{i}.content.{j}",
                        code="unsupported_content",
                    )
            text = "\n".join(texts)
        else:
            text = content or ""
        role = "system" if m.role == "developer" else m.role
        out.append({"role": role, "content": text})
    return out


def gen_params(chat: ChatRequest, runner: LocalModelRunner) -> GenParams:
    limit = runner.spec.max_tokens_limit
    requested = chat.requested_max_tokens()
    if requested is not None and requested > limit:
        param = "max_completion_tokens" if chat.max_completion_tokens else "max_tokens"
        raise BadRequest(
            f"'{param}' is {requested}; this router allows at most {limit}.", param=param
        )
    return GenParams(
        max_tokens=requested or runner.spec.default_max_tokens,
        temperature=1.0 if chat.temperature is None else chat.temperature,
        top_p=1.0 if chat.top_p is None else chat.top_p,
        stop=tuple(chat.stop_list),
        seed=chat.seed,
    )
