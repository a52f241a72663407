"""Rubric prompts sent to the annotating LLM: the built-in 0-5 educational-value rubric, or a user's file.

The built-in rubric is additive on a 0-5 scale, after the five criteria FineWeb-Edu described
(some useful information → touches an educational subject → usable in a lesson → reads like
teaching material → outstanding for teaching); the wording is ours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

#: Where the document goes in a prompt template.
TEXT_SLOT = "{text}"

SYSTEM_PROMPT = (
    "You are a careful teacher who rates how much a web document could help a student learn. "
    "You follow the scoring instructions exactly and end with the requested score line."
)

EDU_RUBRIC = """Rate the document below for its value to a learner, from primary school up to the first years of university.
Start from 0 and add points. Each point assumes the document already earned the previous ones.

+1 It holds at least some factual or explanatory content that a learner could use, even if that content is buried among adverts, menus, comments or unrelated material.
+1 A noticeable part of it is about a subject people study, but the treatment is patchy or shallow, the writing is disorganised, or it is mixed with promotion or off-topic text.
+1 A teacher could use it in a lesson as it stands: it explains central ideas of a subject coherently, even if it leaves gaps, is only an excerpt, or carries some unrelated material.
+1 It reads like good teaching material, such as a textbook section, a tutorial or a worked explanation: focused, well organised, clearly written, pitched at a level a learner can follow, with little that is irrelevant.
+1 It is excellent for teaching: thorough, accurate and easy to follow, with insight, examples or exercises, and nothing that distracts from the subject.

Judge only what is on the page. Do not reward length for its own sake, and do not punish small spelling or grammar slips unless they get in the way of understanding.

Document:
<<<
{text}
>>>

First explain your judgement in no more than 100 words. Then write the total on its own last line, exactly as:
Educational score: <a whole number from 0 to 5>"""


@dataclass(frozen=True)
class Prompt:
    """A system message and a user template with a ``{text}`` slot; ``hash`` keys the cache."""

    user_template: str
    system: str | None = SYSTEM_PROMPT
    name: str = "edu-rubric-v1"

    @property
    def hash(self) -> str:
        """Stable 16-hex-digit hash of the system message and the template."""
        blob = f"{self.system or ''}\n\x00\n{self.user_template}".encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def messages(self, text: str) -> list[dict[str, str]]:
        """Chat-completions ``messages`` for one document."""
        if TEXT_SLOT in self.user_template:
            user = self.user_template.replace(TEXT_SLOT, text)
        else:
            user = f"{self.user_template.rstrip()}\n\nDocument:\n<<<\n{text}\n>>>"
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        msgs.append({"role": "user", "content": user})
        return msgs

    @property
    def full_text(self) -> str:
        """System message and template, as stored in the cache's ``prompts`` table."""
        return f"[system]\n{self.system or ''}\n[user]\n{self.user_template}"


def builtin_prompt() -> Prompt:
    """The built-in additive 0-5 educational-value rubric."""
    return Prompt(EDU_RUBRIC)


def load_prompt(path: str | Path, system: str | None = None) -> Prompt:
    """A user's rubric file: the whole file is the user message; ``{text}`` marks where the document goes
    (appended at the end when absent). No system message unless ``system`` is given."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"prompt file not found: {path}")
    template = path.read_text(encoding="utf-8")
    if not template.strip():
        raise ValueError(f"prompt file {path} is empty")
    return Prompt(template, system=system, name=path.name)
