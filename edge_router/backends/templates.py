"""Chat templates used when a GGUF file carries none of its own."""

from __future__ import annotations

# ChatML: the format SmolLM2 and many instruction-tuned models are trained on.
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Plain: role-prefixed transcript for base models that were never chat-tuned.
PLAIN = (
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}: {{ message['content'] }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)

FALLBACKS = {"chatml": (CHATML, ("<|im_end|>",)), "plain": (PLAIN, ("\nUser:",))}
