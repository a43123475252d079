from django.contrib import admin

from therapists.models import Provider, Therapist


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    filter_horizontal = ["coordinators"]


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin):
    """The coordinator manages the pool, capacity and leave in CIRS
    (``therapists/views/pool.py``); this is for setting the service up."""

    list_display = ["user", "provider", "capacity", "is_active"]
