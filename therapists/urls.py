from therapists.views import allocation, cases

app_name = "therapists"

urlpatterns = [*allocation.urlpatterns, *cases.urlpatterns]
