from therapists.views import allocation, cases, closure, key_dates, planned, pool

app_name = "therapists"

urlpatterns = [
    *allocation.urlpatterns,
    *cases.urlpatterns,
    *key_dates.urlpatterns,
    *closure.urlpatterns,
    *planned.urlpatterns,
    *pool.urlpatterns,
]
