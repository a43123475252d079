from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Monitoring and evaluation"

    def ready(self) -> None:
        # Models must be loaded before these modules are imported (Django's app loading),
        # hence here rather than at the top.
        from referrals.signals import personal_data_erased, support_ended
        from reporting import evaluation

        support_ended.connect(evaluation.on_support_ended, dispatch_uid="reporting_invite")
        personal_data_erased.connect(
            evaluation.on_personal_data_erased, dispatch_uid="reporting_erase"
        )
