"""Account pages, included at ``/accounts/``."""

from django.urls import path

from sifa.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="accounts-login"),
    path("login/sms/", views.sms_login_view, name="accounts-login-sms"),
    path("login/staff/", views.staff_login_view, name="accounts-login-staff"),
    path("logout/", views.logout_view, name="accounts-logout"),
    path("session/", views.keep_alive, name="accounts-keep-alive"),
    path("me/", views.me_view, name="accounts-me"),
    path("password/forgot/", views.forgot_password_view, name="accounts-password-forgot"),
    path("password/reset/", views.reset_password_view, name="accounts-password-reset"),
    path("password/change/", views.change_password_view, name="accounts-password-change"),
    path("phone/change/", views.change_phone_view, name="accounts-phone-change"),
    path("phone/confirm/", views.confirm_phone_view, name="accounts-phone-confirm"),
    path("address/", views.change_address_view, name="accounts-address"),
]
