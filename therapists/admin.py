from django.contrib import admin

from therapists.models import Provider, Therapist, TherapistLeave


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    filter_horizontal = ["coordinators"]


class TherapistLeaveInline(admin.TabularInline):
    model = TherapistLeave
    extra = 0
    fields = ["starts_on", "ends_on", "note"]


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin):
    """The coordinator manages the pool in CIRS (``therapists/views/pool.py``); this is
    for setting the service up."""

    list_display = ["user", "provider", "capacity", "is_active"]
    inlines = [TherapistLeaveInline]
