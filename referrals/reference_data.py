"""Reference data the service cannot run without: the role groups and the exit pathways
of SERVICE.md step 11. Written by migration 0003, and re-ensured by the test suite after
a transactional test flushes the database."""

from referrals.roles import Role

EXIT_PATHWAYS = [
    # code, label, how it is described to the line manager (general terms only), order
    (
        "no_further_support",
        "No further support needed",
        "No further support is needed from this service.",
        1,
    ),
    (
        "wellbeing_service",
        "LCC wellbeing service",
        "The council's wellbeing service has been suggested as a source of further support.",
        2,
    ),
    ("gp", "GP", "Support through their own GP has been suggested.", 3),
    (
        "nhs_mental_health",
        "NHS mental health services",
        "Longer-term support through health services has been suggested.",
        4,
    ),
    (
        "out_of_scope",
        "Out of scope of this service (advised to see GP)",
        "Support outside the scope of this service has been suggested, through their own GP.",
        5,
    ),
]


def ensure_reference_data(group_model, exit_pathway_model) -> None:
    for role in Role:
        group_model.objects.get_or_create(name=role.label)
    for code, label, wording, order in EXIT_PATHWAYS:
        exit_pathway_model.objects.update_or_create(
            code=code, defaults={"label": label, "general_wording": wording, "order": order}
        )
