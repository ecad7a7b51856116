"""Account pages, included at ``/accounts/``."""

from django.urls import path

from sifa.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="accounts-login"),
    path("logout/", views.logout_view, name="accounts-logout"),
    path("me/", views.me_view, name="accounts-me"),
]
