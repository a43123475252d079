from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Monitoring and evaluation"

    def ready(self) -> None:
        # Models must be loaded before these modules are imported (Django's app loading),
        # hence here rather than at the top.
        from referrals.signals import own_support_links, personal_data_erased, support_ended
        from reporting import evaluation

        support_ended.connect(evaluation.on_support_ended, dispatch_uid="reporting_invite")
        own_support_links.connect(
            evaluation.questionnaire_link, dispatch_uid="reporting_own_support_link"
        )
        personal_data_erased.connect(
            evaluation.on_personal_data_erased, dispatch_uid="reporting_erase"
        )
