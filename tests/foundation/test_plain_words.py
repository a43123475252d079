"""Plain words: every page template, e-mail and user-facing message reads at 60 or more
on the Flesch reading-ease scale (a plain-English leaflet), measured with textstat
(pinned in requirements-dev.txt).

What is measured:
- each HTML template: the text a person sees or hears (text, alt, aria-label,
  placeholder), with the template language taken out, and with the rows its view draws
  in Python (the template names them: "(ROW in therapists/views/allocation.py)");
- markup held in Python constants (a badge, "Nothing has happened yet");
- each e-mail: its subject and plain-text body together (the HTML body says the same);
- the messages in the Python code: strings given to ``messages.*``, ``ValidationError``,
  ``add_error`` and ``PermissionDenied``, ``help_text=`` and ``error_messages=``, and the
  module constants those calls name.

The Flesch formula needs sentences to mean anything: a text of fewer than
``MIN_WORDS`` words ("Save", "Referral withdrawn") is not scored alone; all such short
texts of one file are scored together as one more item.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import textstat
from django.conf import settings

MIN_EASE = 60.0
MIN_WORDS = 12
ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
# Templates that are not prose for people: styles and the PDF's stylesheet.
NOT_PROSE = {"reporting/pdf/report.css"}
# The apps whose Python holds user-facing messages (every folder with an apps.py).
APPS = sorted(path.parent for path in ROOT.glob("*/apps.py"))

textstat.set_lang("en_US")


@dataclass(frozen=True)
class Item:
    where: str
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def ease(self) -> float:
        return textstat.flesch_reading_ease(self.text)


# --- templates --------------------------------------------------------------------------

_COMMENT_BLOCK = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
_TEMPLATE_SYNTAX = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
# Elements that end a sentence for the reader even without a full stop.
_BLOCKS = {
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "label", "button",
    "option", "legend", "caption", "dt", "dd", "title", "summary", "figcaption", "section",
    "tr", "br", "a", "span", "strong", "small", "pre", "blockquote", "nav", "header",
    "footer", "main", "form", "table", "ul", "ol", "dl", "textarea", "select",
}  # fmt: skip
_SPOKEN_ATTRIBUTES = {"alt", "aria-label", "placeholder", "title"}


def _end_sentence(chunks: list[str]) -> None:
    if chunks and chunks[-1] and chunks[-1][-1] not in ".!?:;":
        chunks[-1] += "."


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        if tag in _BLOCKS:
            _end_sentence(self.chunks)
        for name, value in attrs:
            if name in _SPOKEN_ATTRIBUTES and value and value.strip():
                self.chunks.append(value.strip())
                _end_sentence(self.chunks)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._hidden -= 1
        if tag in _BLOCKS:
            _end_sentence(self.chunks)

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden:
            if self.chunks and self.chunks[-1] and self.chunks[-1][-1] not in ".!?:;":
                self.chunks[-1] += " " + text
            else:
                self.chunks.append(text)


def _without_template_language(source: str) -> str:
    return _TEMPLATE_SYNTAX.sub(" ", _COMMENT_BLOCK.sub(" ", source))


def html_text(source: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(_without_template_language(source))
    parser.close()
    _end_sentence(parser.chunks)
    return [chunk for chunk in parser.chunks if re.search(r"[A-Za-z]", chunk)]


# A list's rows are drawn in Python (``referrals.rows.draw``); its template says where,
# as "(ROW in therapists/views/allocation.py)" or "(ROW and PAUSED in ...)". Their words
# are read as the template's.
_DRAWN_IN = re.compile(r"\(([A-Z_]+(?:, [A-Z_]+)*(?: and [A-Z_]+)?) in ([\w/]+\.py)\)")
_HOLE = re.compile(r"\{\w+\}")
_TAG = re.compile(r"<[a-z]")


def _module_constants(path: Path) -> dict[str, ast.AST]:
    return {
        target.id: node.value
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _markup(node: ast.AST) -> str | None:
    """The HTML a module constant holds: a string, or ``mark_safe("...")``."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "mark_safe" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _TAG.search(node.value):
        return _HOLE.sub(" ", node.value)
    return None


def drawn_markup(source: str) -> str:
    """The markup of the rows a template says are drawn in Python."""
    found = []
    for names, where in _DRAWN_IN.findall(source):
        constants = _module_constants(ROOT / where)
        for name in re.split(r", | and ", names):
            markup = _markup(constants.get(name))
            assert markup is not None, f"{where} has no markup constant {name}"
            found.append(markup)
    return "\n".join(found)


def plain_text(source: str) -> list[str]:
    """A text template: each non-empty line is read as at least one sentence."""
    lines = [" ".join(line.split()) for line in _without_template_language(source).splitlines()]
    chunks: list[str] = []
    for line in lines:
        if re.search(r"[A-Za-z]", line):
            chunks.append(line)
            _end_sentence(chunks)
    return chunks


def template_items() -> list[Item]:
    items = []
    emails: dict[str, list[str]] = {}
    for path in sorted(TEMPLATES.rglob("*")):
        name = path.relative_to(TEMPLATES).as_posix()
        if not path.is_file() or name in NOT_PROSE:
            continue
        source = path.read_text()
        if name.startswith("emails/") and name.endswith((".txt",)):
            stem = re.sub(r"_(subject|body)\.txt$", "", name)
            emails.setdefault(stem, []).extend(plain_text(source))
            continue
        if name == "emails/base_email.html" or (
            name.startswith("emails/") and name.endswith("_body.html")
        ):
            continue  # the HTML body says what the text body says
        if name.endswith(".txt"):
            chunks = plain_text(source)
        else:
            chunks = html_text(source + "\n" + drawn_markup(source))
        items.append(Item(name, " ".join(chunks)))
    items += [Item(f"{stem} (e-mail)", " ".join(chunks)) for stem, chunks in emails.items()]
    return items


# --- messages in Python -----------------------------------------------------------------

# Which arguments of which calls are words for people.
_MESSAGE_ARGS = {
    "messages": slice(1, None),  # messages.success(request, text), and the rest
    "ValidationError": slice(0, 1),
    "PermissionDenied": slice(0, 1),
    "add_error": slice(1, 2),  # form.add_error(field, text)
}
_MESSAGE_KEYWORDS = {"help_text", "error_messages", "message"}


def _strings(node: ast.AST, constants: dict[str, ast.AST]) -> list[str]:
    """The text a node stands for: literals, f-string parts, joined strings, dict values,
    and module constants by name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        return [" ".join("".join(parts).split())]
    if isinstance(node, ast.BinOp):
        left, right = _strings(node.left, constants), _strings(node.right, constants)
        return [" ".join([*left, *right])] if left or right else []
    if isinstance(node, ast.Dict):
        return [s for value in node.values for s in _strings(value, constants)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return _strings(constants[node.id], constants)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"  # "...".format(...)
    ):
        return _strings(node.func.value, constants)
    return []


def _message_args(call: ast.Call) -> list[ast.AST]:
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "messages"
    ):
        return call.args[_MESSAGE_ARGS["messages"]]
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in _MESSAGE_ARGS and name != "messages":
        return call.args[_MESSAGE_ARGS[name]]
    return []


def python_items(path: Path) -> list[Item]:
    tree = ast.parse(path.read_text())
    constants = _module_constants(path)
    found: list[str] = []
    # Markup drawn in Python (a list's rows, a badge, "Nothing has happened yet").
    for value in constants.values():
        markup = _markup(value)
        if markup is not None:
            found.append(" ".join(html_text(markup)))
    in_models = "models" in path.relative_to(ROOT).with_suffix("").parts
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for arg in _message_args(node):
            found += _strings(arg, constants)
        for keyword in node.keywords:
            # A model field's help_text is shown only in the admin (every form people
            # fill in is a plain Form with its own help text, which is checked).
            if keyword.arg == "help_text" and in_models:
                continue
            if keyword.arg in _MESSAGE_KEYWORDS:
                found += _strings(keyword.value, constants)
    where = path.relative_to(ROOT).as_posix()
    texts = [" ".join(text.replace("{", " ").replace("}", " ").split()) for text in found]
    texts = [t for t in dict.fromkeys(texts) if re.search(r"[A-Za-z]{2}", t)]
    return [Item(f"{where}: {text[:60]!r}", text) for text in texts]


def message_items() -> list[Item]:
    items = []
    for app in APPS:
        for path in sorted(app.rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"migrations", "management", "tests"}:
                continue
            items += python_items(path)
    return items


# --- the rule ---------------------------------------------------------------------------


def scored(items: list[Item]) -> list[Item]:
    """Long items alone; the short ones of each file pooled into one item."""
    long_items = [item for item in items if item.words >= MIN_WORDS]
    pools: dict[str, list[str]] = {}
    for item in items:
        if item.words < MIN_WORDS and item.text:
            pools.setdefault(item.where.split(": ")[0], []).append(item.text)
    pooled = [
        Item(
            f"{where} (short texts together)",
            " ".join(t if t[-1] in ".!?" else t + "." for t in texts),
        )
        for where, texts in pools.items()
    ]
    return long_items + [item for item in pooled if item.words >= MIN_WORDS]


def _offenders(items: list[Item]) -> list[str]:
    return [
        f"{item.ease:5.1f}  {item.where}"
        for item in sorted(scored(items), key=lambda i: i.ease)
        if item.ease < MIN_EASE
    ]


def test_every_template_and_email_reads_at_60_or_more():
    items = template_items()
    # Every page template and every e-mail was read, not an empty list.
    names = {item.where for item in items}
    assert "base.html" in names
    assert "therapists/allocate.html" in names
    assert "emails/referral_submitted (e-mail)" in names
    assert len(scored(items)) >= 60
    offenders = _offenders(items)
    assert offenders == [], "Flesch reading ease below 60:\n" + "\n".join(offenders)


def test_every_message_in_the_code_reads_at_60_or_more():
    items = message_items()
    assert len(items) >= 40
    offenders = _offenders(items)
    assert offenders == [], "Flesch reading ease below 60:\n" + "\n".join(offenders)


# --- the measure itself -----------------------------------------------------------------


def test_rows_drawn_in_python_are_read_with_their_template():
    items = {item.where: item.text for item in template_items()}
    assert "Carry on with this draft" in items["referrals/my_referrals.html"]
    assert "Support has ended." in items["referrals/my_referrals.html"]
    assert "Paused: waiting for the line manager" in items["referrals/triage_queue.html"]
    assert "Allocate" in items["therapists/allocation_queue.html"]
    messages = " ".join(item.text for item in message_items())
    assert "Nothing has happened yet." in messages
    assert "None running" in messages


def test_hard_words_fail_and_plain_words_pass():
    hard = Item(
        "hard",
        "Allocation of therapeutic intervention resources is contingent upon the "
        "availability of appropriately qualified practitioners within the commissioned "
        "organisation's operational capacity.",
    )
    plain = Item(
        "plain",
        "We will find a therapist for you. They will call you within two working days. "
        "If you have a question, ask your line manager.",
    )
    assert hard.ease < MIN_EASE < plain.ease
    assert _offenders([hard, plain]) == [f"{hard.ease:5.1f}  hard"]


def test_template_text_leaves_out_the_template_language_and_markup():
    source = (
        '{% extends "base.html" %}{# a note #}<h1>Hello {{ user.name }}</h1>'
        '<p class="x">We are here.<br>Call us.</p><script>var a = "hidden";</script>'
        '<img alt="A calm picture" src="x.png">'
    )
    assert html_text(source) == ["Hello.", "We are here.", "Call us.", "A calm picture."]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('messages.success(request, "Saved. Thank you.")', ["Saved. Thank you."]),
        ('raise ValidationError(f"Pick a date after {start}.")', ["Pick a date after ."]),
        ('form.add_error("when", HELLO)', ["Hello there."]),
        ('forms.CharField(help_text="Say what " "happened.")', ["Say what happened."]),
        ('forms.CharField(error_messages={"required": "Tell us when."})', ["Tell us when."]),
    ],
)
def test_messages_are_found_in_the_code(tmp_path, monkeypatch, code, expected):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    module = tmp_path / "example.py"
    module.write_text(f'HELLO = "Hello there."\n\n\ndef view(request, form, start):\n    {code}\n')
    assert [item.text for item in python_items(module)] == expected
