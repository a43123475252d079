"""Rewrite every referral's stored clock deadlines (``ClockDeadline``) and stopped
clocks (``StoppedClock``) from the rule of when each clock runs. Safe to run at any
time and as often as wanted: the same data gives the same rows. Useful after changing
``CIRS_CLOCKS``."""

from django.core.management.base import BaseCommand

from referrals.chasing import recompute_all, recompute_stopped_clocks


class Command(BaseCommand):
    help = "Recompute the stored deadline of every running clock, and every stopped clock."

    def handle(self, *args, **options):
        rows = recompute_all()
        stopped = recompute_stopped_clocks()
        self.stdout.write(
            f"Stored {rows} running clock deadlines. Stored {stopped} stopped clocks."
        )
