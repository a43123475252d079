"""Draw the referral lifecycle from the state machine itself (``make diagram``).

django-fsm's ``graph_transitions`` draws every same-state action (recording a session,
a key date…) as an arrow to a "None" node, which buries the flow. This draws the
changes of state as arrows and lists each state's same-state actions inside it.

The DOT text is written here, with no Python package; the SVG is rendered by Graphviz's
``dot`` program (Debian's ``graphviz``, installed by ``make test``) when it is present.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand

from referrals.models import Referral

FONT = "DejaVu Sans"


def _words(name: str) -> str:
    return name.replace("_", " ")


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def lifecycle_dot() -> str:
    """The lifecycle as Graphviz DOT text."""
    field = Referral._meta.get_field("state")
    arrows: dict[tuple[str, str], list[str]] = defaultdict(list)
    actions: dict[str, list[str]] = defaultdict(list)
    for t in field.get_all_transitions(Referral):
        if t.target is None or t.target == t.source:
            actions[t.source].append(_words(t.name))
        else:
            arrows[(t.source, t.target)].append(_words(t.name))
    lines = [
        "digraph referral_lifecycle {",
        f"\tgraph [fontname={_quote(FONT)} rankdir=TB]",
        f"\tnode [fontname={_quote(FONT)} shape=box style=rounded]",
        f"\tedge [fontname={_quote(FONT)} fontsize=10]",
    ]
    for state in Referral.State:
        label = state.label
        if actions.get(state.value):
            label += "\n\n" + "\n".join(sorted(set(actions[state.value])))
        peripheries = 2 if state.value in Referral.CLOSED_STATES else 1
        lines.append(f"\t{state.value} [label={_quote(label)} peripheries={peripheries}]")
    for (source, target), names in sorted(arrows.items()):
        lines.append(f"\t{source} -> {target} [label={_quote(chr(10).join(sorted(set(names))))}]")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = (
        "Write docs/referral-lifecycle.dot (and .svg, with Graphviz's dot) from the state machine."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default="docs/referral-lifecycle", help="path without extension"
        )

    def handle(self, *args, output: str, **options):
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        dot_file = out.with_suffix(".dot")
        dot_file.write_text(lifecycle_dot())
        dot = shutil.which("dot")
        if dot is None:
            self.stdout.write(
                f"Wrote {dot_file}. Install Graphviz (apt-get install graphviz) to render "
                "the SVG as well."
            )
            return
        svg_file = out.with_suffix(".svg")
        subprocess.run([dot, "-Tsvg", str(dot_file), "-o", str(svg_file)], check=True)  # noqa: S603
        self.stdout.write(f"Wrote {dot_file} and {svg_file}")
