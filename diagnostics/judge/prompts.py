"""Judge prompt templates: package files, overridable by a user file, hashed into every output.

A template is plain text with a `### system` section and a `### user` section and the placeholders
`{{question}}`, `{{options}}`, `{{letters}}` and `{{think}}` (plain replacement, so braces in the
reasoning or in a JSON example are safe). `strict.txt` is the follow-up sent once when a reply
cannot be parsed (`{{format}}` = what was expected).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from videor2.tasks.common.answers import LETTERS, strip_option_prefix

_SECTION = re.compile(r"^###\s*(system|user)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Template:
    name: str
    system: str
    user: str
    source: str  # "package:<file>" or the user file's path
    sha: str     # sha256 of the template text, 12 hex digits

    def render(self, question: str = "", options: list[str] | None = None, think: str = "") -> list[dict]:
        options = list(options or [])
        letters = LETTERS[: len(options)] if options else ""
        opts = "\n".join(f"{LETTERS[i]}. {strip_option_prefix(o)}" for i, o in enumerate(options)) or "(none)"
        values = {
            "{{question}}": (question or "").strip(),
            "{{options}}": opts,
            "{{letters}}": ", ".join(letters) if letters else "A-E",
            "{{think}}": (think or "").strip(),
        }
        user = self.user
        for k, v in values.items():
            user = user.replace(k, v)
        messages = []
        if self.system.strip():
            messages.append({"role": "system", "content": self.system.strip()})
        messages.append({"role": "user", "content": user.strip()})
        return messages


def _parse(name: str, text: str, source: str) -> Template:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    parts = _SECTION.split(text)
    sections = {"system": "", "user": ""}
    if len(parts) == 1:
        sections["user"] = text
    else:
        for role, body in zip(parts[1::2], parts[2::2]):
            sections[role.lower()] = body
    if "{{think}}" not in sections["user"] and name != "strict":
        raise ValueError(f"judge prompt {source} has no {{{{think}}}} placeholder in its user section")
    return Template(name, sections["system"], sections["user"], source, sha)


def load_template(name: str, override: str | Path | None = None) -> Template:
    """Package template `name` (think_mc, think_numeric, think_open, grounding, strict), or the
    user's file when `override` is given."""
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(f"judge prompt file not found: {path}")
        return _parse(name, path.read_text(encoding="utf-8"), str(path))
    text = resources.files("videor2.diagnostics.judge").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")
    return _parse(name, text, f"package:{name}.txt")


@dataclass(frozen=True)
class PromptSet:
    think: dict[str, Template]   # answer kind -> template
    grounding: Template
    strict: Template

    @classmethod
    def load(cls, think_file: str | Path | None = None, grounding_file: str | Path | None = None) -> "PromptSet":
        """`think_file` overrides the think template for every answer kind."""
        think = {kind: load_template(f"think_{kind}", think_file) for kind in ("mc", "numeric", "open")}
        return cls(think=think, grounding=load_template("grounding", grounding_file), strict=load_template("strict"))

    def hashes(self) -> dict[str, str]:
        out = {f"think_{k}": t.sha for k, t in self.think.items()}
        out["grounding"] = self.grounding.sha
        out["strict"] = self.strict.sha
        return out

    def sources(self) -> dict[str, str]:
        out = {f"think_{k}": t.source for k, t in self.think.items()}
        out["grounding"] = self.grounding.source
        return out
