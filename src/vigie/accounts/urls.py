from django.urls import path

from vigie.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("password/forgotten/", views.password_forgotten, name="password_forgotten"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        views.password_reset,
        name="password_reset",
    ),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/backup-codes/", views.backup_codes, name="backup_codes"),
    path("2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
]
