"""Reference data the service cannot run without: the exit pathways of docs/service.md
(step 11). Written by migration ``referrals/0002_reference_data``, and re-ensured by the
test suite after a transactional test flushes the database. (The role groups are
``accounts``' own: ``accounts.roles.ensure_role_groups``.)"""

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


def ensure_exit_pathways(exit_pathway_model) -> None:
    for code, label, wording, order in EXIT_PATHWAYS:
        exit_pathway_model.objects.update_or_create(
            code=code, defaults={"label": label, "general_wording": wording, "order": order}
        )
