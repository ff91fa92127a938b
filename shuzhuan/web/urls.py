from django.urls import path

from shuzhuan.web import views, views_accounts, views_enterprises, views_policies

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/export.xlsx", views.enterprise_export, name="enterprise_export"),
    path("enterprises/import/", views.enterprise_import_view, name="enterprise_import"),
    path("enterprises/import/<uuid:task_id>/", views.enterprise_import_task, name="enterprise_import_task"),
    path("enterprises/mine/", views.my_enterprise, name="my_enterprise"),
    # the registry kept by hand (shuzhuan/web/views_enterprises.py); "new/" before "<str:uscc>/"
    path("enterprises/new/", views_enterprises.enterprise_create_view, name="enterprise_create"),
    path("enterprises/<str:uscc>/", views_enterprises.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<str:uscc>/edit/", views_enterprises.enterprise_edit, name="enterprise_edit"),
    path(
        "enterprises/<str:uscc>/qualifications/",
        views_enterprises.qualification_add_view,
        name="qualification_add",
    ),
    path(
        "enterprises/<str:uscc>/qualifications/<str:type>/<int:year>/delete/",
        views_enterprises.qualification_remove_view,
        name="qualification_remove",
    ),
    # accounts (shuzhuan/web/views_accounts.py): user management and 我的账户
    path("users/", views_accounts.user_list_view, name="user_list"),
    path("users/new/", views_accounts.user_create_view, name="user_create"),
    path("users/<str:username>/edit/", views_accounts.user_edit_view, name="user_edit"),
    path("users/<str:username>/password/", views_accounts.user_password_view, name="user_password"),
    path("users/<str:username>/deactivate/", views_accounts.user_deactivate_view, name="user_deactivate"),
    path("users/<str:username>/activate/", views_accounts.user_activate_view, name="user_activate"),
    path("users/<str:username>/unlock/", views_accounts.user_unlock_view, name="user_unlock"),
    path("account/", views_accounts.my_account, name="my_account"),
    path("account/password/", views_accounts.my_password, name="my_password"),
    path("account/tokens/", views_accounts.my_token_create, name="my_token_create"),
    path("account/tokens/<int:token_id>/revoke/", views_accounts.my_token_revoke, name="my_token_revoke"),
    # 政策 (shuzhuan/web/views_policies.py): editions, drafts and publishing, the calculator;
    # "calc/" and "new/" before "<str:edition_id>/"
    path("policies/", views_policies.policy_list, name="policy_list"),
    path("policies/calc/", views_policies.policy_calc_view, name="policy_calc"),
    path("policies/new/", views_policies.edition_create, name="policy_edition_new"),
    path("policies/<str:edition_id>/", views_policies.edition_detail, name="policy_edition"),
    path(
        "policies/<str:edition_id>/parameters/",
        views_policies.edition_parameter,
        name="policy_edition_parameter",
    ),
    path(
        "policies/<str:edition_id>/publish/",
        views_policies.edition_publish_view,
        name="policy_edition_publish",
    ),
]
