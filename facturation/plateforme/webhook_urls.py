from django.urls import path

from facturation.plateforme import views

app_name = "plateforme_webhooks"

urlpatterns = [
    path("<uuid:webhook_token>/", views.webhook, name="webhook"),
]
