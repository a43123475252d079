"""Draw the referral lifecycle from the state machine itself.

django-fsm's ``graph_transitions`` draws every same-state action (recording a session,
a key date…) as an arrow to a "None" node, which buries the flow. This draws the
changes of state as arrows and lists each state's same-state actions inside it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import graphviz
from django.core.management.base import BaseCommand

from referrals.models import Referral


def _words(name: str) -> str:
    return name.replace("_", " ")


def lifecycle_graph() -> graphviz.Digraph:
    field = Referral._meta.get_field("state")
    arrows: dict[tuple[str, str], list[str]] = defaultdict(list)
    actions: dict[str, list[str]] = defaultdict(list)
    for t in field.get_all_transitions(Referral):
        if t.target is None or t.target == t.source:
            actions[t.source].append(_words(t.name))
        else:
            arrows[(t.source, t.target)].append(_words(t.name))
    graph = graphviz.Digraph(
        "referral_lifecycle", graph_attr={"rankdir": "TB", "fontname": "DejaVu Sans"}
    )
    graph.attr("node", shape="box", style="rounded", fontname="DejaVu Sans")
    graph.attr("edge", fontname="DejaVu Sans", fontsize="10")
    for state in Referral.State:
        label = state.label
        if actions.get(state.value):
            label += "\n\n" + "\n".join(sorted(set(actions[state.value])))
        final = state.value in Referral.CLOSED_STATES
        graph.node(state.value, label, peripheries="2" if final else "1")
    for (source, target), names in sorted(arrows.items()):
        graph.edge(source, target, label="\n".join(sorted(set(names))))
    return graph


class Command(BaseCommand):
    help = "Write docs/referral-lifecycle.dot and .svg from the Referral state machine."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default="docs/referral-lifecycle", help="path without extension"
        )

    def handle(self, *args, output: str, **options):
        graph = lifecycle_graph()
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".dot").write_text(graph.source)
        graph.render(outfile=str(out.with_suffix(".svg")), format="svg", cleanup=True)
        self.stdout.write(f"Wrote {out.with_suffix('.dot')} and {out.with_suffix('.svg')}")
