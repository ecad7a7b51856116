"""The login form: one page for staff (username + password + TOTP) and citizens (phone + password)."""

from __future__ import annotations

from django import forms


class LoginForm(forms.Form):
    # Named "username" so django-axes masks it in its failure log (AXES_SENSITIVE_PARAMETERS).
    username = forms.CharField(
        label="用户名或手机号码",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
        error_messages={"required": "请填写用户名或手机号码"},
    )
    password = forms.CharField(
        label="密码",
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "请填写密码"},
    )
    totp = forms.CharField(
        label="动态验证码（工作人员必填）",
        required=False,
        max_length=10,
        help_text="打开身份验证器应用，输入当前显示的6位数字。",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
