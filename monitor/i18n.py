"""Messages people read, in Chinese by default and English on request.

A catalog maps a message code to its templates; code that reports something keeps the code and
its parameters, and renders them only at the edge (CLI, report file, chat message).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def render(catalog: Mapping[str, Mapping[str, str]], code: str, language: str, params: Mapping[str, object]) -> str:
    templates = catalog[code]
    template = templates.get(language) or templates[DEFAULT_LANGUAGE]
    return template.format(**params)
