from django.contrib import admin

from therapists.models import Provider, Therapist


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    filter_horizontal = ["coordinators"]


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "capacity", "is_active", "on_leave", "unavailable_until"]
