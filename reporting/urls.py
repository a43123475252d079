from reporting.views import dashboard

app_name = "reporting"

urlpatterns = [*dashboard.urlpatterns]
