"""lmms-eval document functions that several benchmarks share word for word.

- `doc_to_visual(doc)`: the one video, whose absolute path `load` put in `video_path`.
- `answer_column(doc)`: `doc_to_target` for benchmarks whose `answer` column is the target.
- `with_think_prompt(question_text)`: `doc_to_text` = the benchmark's question text followed by the
  Video-R2 think post-prompt (docs/BENCHMARKS.md).
- `option_lines(options, template)`: lettered option lines ("A. text" by default), one a line.
- `answer_letter(answer, options)`: a dataset's ground-truth letter from "B", "(B)", "B. text" or
  the right option's text ("?" when neither matches).
"""

from __future__ import annotations

import re

from videor2.tasks.common.answers import LETTERS, option_by_text
from videor2.tasks.common.hub import VIDEO_COLUMN
from videor2.tasks.common.prompts import THINK_POST_PROMPT

_LEADING_LETTER = re.compile(r"^\(?([A-Z])(?:$|[\.\):\s])")


def doc_to_visual(doc):
    return [doc[VIDEO_COLUMN]]


def answer_column(doc):
    return doc["answer"]


def with_think_prompt(question_text):
    """`doc_to_text(doc, lmms_eval_specific_kwargs=None)`: question_text(doc) + THINK_POST_PROMPT."""

    def doc_to_text(doc, lmms_eval_specific_kwargs=None) -> str:
        return question_text(doc) + THINK_POST_PROMPT

    return doc_to_text


def option_lines(options, template: str = "{letter}. {option}") -> str:
    return "\n".join(template.format(letter=LETTERS[i], option=o) for i, o in enumerate(options))


def answer_letter(answer, options: list[str]) -> str:
    answer = str(answer).strip()
    m = _LEADING_LETTER.match(answer)
    if m:
        return m.group(1)
    return option_by_text(answer, options) or "?"
