"""Onboarding a municipality: 団体コードで追加 (superusers) and the one-time password-set page.

- ``AddByCodeMixin`` (on the Municipality admin): /manage/plans/municipality/add-by-code/ registers a
  municipality from its 全国地方公共団体コード alone (plans.localgov.register_municipality, the same
  service as ``manage.py add_municipality``) and shows its HQ user's one-time password-set link.
- ``PasswordSetView``: /manage/password-set/<uidb64>/<token>/, Django's password-reset confirmation
  with the portal's wording; the link works once (the token depends on the password) and expires after
  PASSWORD_RESET_TIMEOUT.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse_lazy

from plans import access
from plans.localgov import LocalGovernmentError, register_municipality


class AddByCodeForm(forms.Form):
    code = forms.CharField(
        label="全国地方公共団体コード",
        max_length=12,
        help_text="6桁（検査数字を含む）。例: 052027（能代市）。団体名・都道府県・スラッグは総務省の一覧から入ります",
    )
    slug = forms.CharField(
        label="スラッグ（任意）",
        max_length=50,
        required=False,
        help_text="公開ページのURLの名前。空なら読み仮名から作ります",
    )
    username = forms.CharField(
        label="DX推進本部のユーザー名（任意）", max_length=150, required=False, help_text="空なら「スラッグ-hq」"
    )
    email = forms.EmailField(label="メールアドレス（任意）", required=False)


class AddByCodeMixin:
    """For the Municipality ModelAdmin: the 団体コードで追加 page (superusers only)."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.add_by_code_view)
        return [path("add-by-code/", view, name="plans_municipality_add_by_code")] + super().get_urls()

    def add_by_code_view(self, request):
        if not access.is_superuser(request.user):
            raise PermissionDenied
        form = AddByCodeForm(request.POST or None)
        registration = None
        if request.method == "POST" and form.is_valid():
            try:
                registration = register_municipality(**form.cleaned_data)
            except LocalGovernmentError as error:
                for line in str(error).splitlines():
                    form.add_error(None, line)
            else:
                messages.success(request, f"{registration.municipality}を登録しました")
                form = AddByCodeForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "団体コードで追加",
            "form": form,
            "registration": registration,
            "password_set_url": request.build_absolute_uri(registration.password_set_path) if registration else "",
        }
        return TemplateResponse(request, "admin/plans/municipality/add_by_code.html", context)


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The HQ user's first password, from the link add_municipality printed."""

    template_name = "admin/password_set.html"
    success_url = reverse_lazy("admin:login")
    post_reset_login = False

    def get_context_data(self, **kwargs):
        # The admin's own context (its header and title): the page is outside the admin's views.
        context = {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}
        context["title"] = "パスワードの設定" if context.get("validlink") else "このリンクは使えません"
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "パスワードを設定しました。ユーザー名と新しいパスワードでログインしてください")
        return response
