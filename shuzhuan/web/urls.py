from django.urls import path

from shuzhuan.web import (
    views,
    views_accounts,
    views_activities,
    views_applications,
    views_cockpit,
    views_cockpit_peers,
    views_cockpit_reports,
    views_enterprises,
    views_funds,
    views_impact,
    views_matching,
    views_policies,
    views_qa,
)

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
    path(
        "policies/<str:edition_id>/delete/",
        views_policies.edition_delete_view,
        name="policy_edition_delete",
    ),
    path(
        "policies/<str:edition_id>/key-industries/",
        views_policies.edition_key_industries_view,
        name="policy_edition_key_industries",
    ),
    path(
        "policies/<str:edition_id>/funding-split/",
        views_policies.edition_funding_split_view,
        name="policy_edition_funding_split",
    ),
    # 影响测算 (shuzhuan/web/views_impact.py): loaded into a draft's page, previews unsaved changes
    path("policies/<str:edition_id>/impact/", views_impact.edition_impact, name="policy_edition_impact"),
    # 申报 (shuzhuan/web/views_applications.py): batches, the queue / 我的申报, one application
    # and its moves, materials, invoices, the expert's 评审 and the enterprise's 通知
    path("batches/", views_applications.batch_list_view, name="batch_list"),
    path("batches/new/", views_applications.batch_create_view, name="batch_create"),
    path("batches/<str:code>/", views_applications.batch_detail, name="batch_detail"),
    path("batches/<str:code>/status/", views_applications.batch_status_view, name="batch_status"),
    # 公示名单 of a batch, for bureau officers and auditors (within their region)
    path(
        "batches/<str:code>/public-notice.xlsx",
        views_applications.public_notice_xlsx_view,
        name="public_notice_xlsx",
    ),
    path(
        "batches/<str:code>/public-notice.pdf",
        views_applications.public_notice_pdf_view,
        name="public_notice_pdf",
    ),
    path("applications/", views_applications.application_list, name="application_list"),
    path(
        "apply/<str:code>/<str:policy_id>/",
        views_applications.application_create_view,
        name="application_create",
    ),
    path("applications/<str:number>/", views_applications.application_detail, name="application_detail"),
    path(
        "applications/<str:number>/edit/", views_applications.application_edit_view, name="application_edit"
    ),
    path(
        "applications/<str:number>/actions/<str:action>/",
        views_applications.application_action,
        name="application_action",
    ),
    path(
        "applications/<str:number>/materials/",
        views_applications.material_upload_view,
        name="material_upload",
    ),
    path(
        "applications/<str:number>/materials/<int:material_id>/",
        views_applications.material_download,
        name="material_download",
    ),
    path("applications/<str:number>/invoices/", views_applications.invoice_add_view, name="invoice_add"),
    path(
        "applications/<str:number>/invoices/<int:invoice_id>/delete/",
        views_applications.invoice_remove_view,
        name="invoice_remove",
    ),
    path("applications/<str:number>/experts/", views_applications.expert_assign_view, name="expert_assign"),
    path(
        "applications/<str:number>/objections/",
        views_applications.objection_record_view,
        name="objection_record",
    ),
    path(
        "applications/<str:number>/objections/<int:objection_id>/resolve/",
        views_applications.objection_resolve_view,
        name="objection_resolve",
    ),
    path(
        "applications/<str:number>/shares/<int:share_id>/pay/",
        views_applications.share_pay_view,
        name="share_pay",
    ),
    path("reviews/", views_applications.review_list, name="review_list"),
    path("reviews/<int:review_id>/", views_applications.review_detail, name="review_detail"),
    path("notices/", views_applications.notice_list, name="notice_list"),
    path("notices/read/", views_applications.notice_read, name="notice_read"),
    # the enterprise's opt-out of pushed policy notices (shuzhuan/web/views_matching.py)
    path("notices/push-preference/", views_matching.push_preference_view, name="push_preference"),
    # 政策找人 (shuzhuan/web/views_matching.py): the current run, runs and their progress, per policy
    # the matched enterprises that have not applied and their outreach list, a run's changes; the
    # bureau starts runs, pushes notices and creates 免申即享 awards
    path("matching/", views_matching.matching_overview, name="matching"),
    path("matching/runs/", views_matching.match_run_start_view, name="match_run_start"),
    path("matching/runs/<int:version>/", views_matching.match_run_detail, name="match_run"),
    path("matching/push/", views_matching.match_push_view, name="match_push"),
    path("matching/auto-grants/", views_matching.match_auto_grant_view, name="match_auto_grant"),
    path("matching/changes/", views_matching.match_changes_view, name="match_changes"),
    path("matching/policies/<str:policy_id>/", views_matching.match_policy, name="match_policy"),
    path(
        "matching/policies/<str:policy_id>/export.xlsx",
        views_matching.match_policy_export,
        name="match_policy_export",
    ),
    # 智能应答 (shuzhuan/web/views_qa.py): the 政策问答 panel for everyone signed in, the public policy
    # page (no login), and the bureau's documents, unanswered questions and curated FAQ answers
    path("qa/", views_qa.qa_chat, name="qa_chat"),
    path("policy-qa/", views_qa.policy_qa, name="policy_qa"),
    path("qa/documents/", views_qa.qa_documents, name="qa_documents"),
    path("qa/unanswered/", views_qa.qa_unanswered, name="qa_unanswered"),
    path("qa/faqs/new/", views_qa.qa_faq_create, name="qa_faq_create"),
    # 统计驾驶舱 (shuzhuan/web/views_cockpit.py): KPI cards and charts; every figure's records
    path("cockpit/", views_cockpit.cockpit, name="cockpit"),
    path("cockpit/records/<str:key>/", views_cockpit.cockpit_records, name="cockpit_records"),
    path(
        "cockpit/records/<str:key>/export.xlsx",
        views_cockpit.cockpit_records_export,
        name="cockpit_records_export",
    ),
    # 同级比较 (shuzhuan/web/views_cockpit_peers.py): peer counties' figures and our rank among them;
    # the bureau uploads the .xlsx (template below)
    path("cockpit/peers/", views_cockpit_peers.cockpit_peers, name="cockpit_peers"),
    path(
        "cockpit/peers/template.xlsx",
        views_cockpit_peers.cockpit_peers_template,
        name="cockpit_peers_template",
    ),
    # 统计报告 (shuzhuan/web/views_cockpit_reports.py): a period's report built in the background;
    # its progress and its .docx/.pdf/.xlsx, for the officer who started it only
    path("cockpit/reports/", views_cockpit_reports.cockpit_reports, name="cockpit_reports"),
    path(
        "cockpit/reports/<uuid:task_id>/",
        views_cockpit_reports.cockpit_report_task,
        name="cockpit_report_task",
    ),
    path(
        "cockpit/reports/<uuid:task_id>/<str:fmt>",
        views_cockpit_reports.cockpit_report_download,
        name="cockpit_report_download",
    ),
    # 活动与人才 (shuzhuan/web/views_activities.py): events and their registrations and attendance,
    # training classes and their trainees' outcome, skill certifications; "new/" before "<int:pk>/"
    path("activities/", views_activities.activities_overview, name="activities"),
    path("activities/events/new/", views_activities.activity_event_new, name="activity_event_new"),
    path("activities/events/<int:pk>/", views_activities.activity_event, name="activity_event"),
    path(
        "activities/events/<int:pk>/registrations/",
        views_activities.activity_registration_add,
        name="activity_registration_add",
    ),
    path(
        "activities/events/<int:pk>/registrations/<int:registration_id>/attendance/",
        views_activities.activity_attendance,
        name="activity_attendance",
    ),
    path("activities/classes/new/", views_activities.activity_class_new, name="activity_class_new"),
    path("activities/classes/<int:pk>/", views_activities.activity_class, name="activity_class"),
    path(
        "activities/classes/<int:pk>/trainees/",
        views_activities.activity_trainee_add,
        name="activity_trainee_add",
    ),
    path(
        "activities/classes/<int:pk>/trainees/<int:trainee_id>/outcome/",
        views_activities.activity_trainee_outcome,
        name="activity_trainee_outcome",
    ),
    path(
        "activities/certifications/",
        views_activities.activity_certifications,
        name="activity_certifications",
    ),
    # 资金 (shuzhuan/web/views_funds.py): budgets and balances per level, allocations, disbursement runs
    path("funds/", views_funds.funds_overview, name="funds"),
    path("funds/allocations/", views_funds.allocation_create_view, name="allocation_create"),
    path("funds/disbursements/", views_funds.disbursement_run_view, name="disbursement_run"),
    # 兑现清单 per funding level (.xlsx), ?year= and/or ?batch=CODE
    path(
        "funds/disbursements/<str:level>.xlsx",
        views_funds.disbursement_export_view,
        name="disbursement_export",
    ),
]
