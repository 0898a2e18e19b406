from django.urls import path

from encaissement import public

app_name = "paiement_webhooks"

urlpatterns = [
    path("<uuid:webhook_token>/", public.webhook, name="webhook"),
]
