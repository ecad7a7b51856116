"""The account pages' forms, rendered GOV.UK-style (``accounts/_field.html``).

:class:`PageForm` gives every input the site's class, wires its hint and error to it with
``aria-describedby`` (and ``aria-invalid``), and lists its errors for the error summary, each
linked to its field. Refusals from the services (``ServiceError`` with field errors) are put on the
fields they name (:meth:`PageForm.add_service_error`).
"""

from __future__ import annotations

from django import forms

from sifa.core.errors import ServiceError

PHONE_HINT = "11位中国大陆手机号"


class PageForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "sifa-input sifa-input--code" if field.widget.attrs.pop("code", False) else "sifa-input"
            field.widget.attrs.setdefault("class", css)

    def describe(self) -> PageForm:
        """Point each input at its hint and error (call before rendering; returns the form)."""
        for bound in self:
            ids = []
            if bound.help_text:
                ids.append(f"{bound.id_for_label}-hint")
            if bound.errors:
                ids.append(f"{bound.id_for_label}-error")
                bound.field.widget.attrs["aria-invalid"] = "true"
            if ids:
                bound.field.widget.attrs["aria-describedby"] = " ".join(ids)
        return self

    def summary(self) -> list[dict[str, str]]:
        """The error summary: every message, each linked to its field (form-wide ones to the first)."""
        if not self.is_bound or not self.errors:
            return []
        first = next(iter(self))
        items = []
        for name, messages in self.errors.items():
            target = self[name] if name in self.fields else first
            items += [{"href": f"#{target.id_for_label}", "message": m} for m in messages]
        return items

    def add_service_error(self, exc: ServiceError) -> None:
        placed = False
        for item in exc.errors or []:
            if item.get("field") in self.fields:
                self.add_error(item["field"], item["message"])
                placed = True
        if not placed:
            self.add_error(None, exc.message)


def _phone_field(label: str = "手机号码", hint: str = PHONE_HINT) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        help_text=hint,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel-national", "inputmode": "tel", "spellcheck": "false", "code": True}
        ),
        error_messages={"required": "请填写手机号码"},
    )


def _code_field(
    label: str = "短信验证码", help_text: str = "6位数字，5分钟内有效", required: str = "请填写短信验证码"
) -> forms.CharField:
    """A one-time code: an SMS code, or (staff) the authenticator's TOTP code."""
    return forms.CharField(
        label=label,
        max_length=10,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "code": True,
            }
        ),
        error_messages={"required": required},
    )


def _password_field(
    label: str, autocomplete: str, hint: str = "", required: str = "请填写密码"
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=256,
        strip=False,
        help_text=hint,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        error_messages={"required": required},
    )


NEW_PASSWORD_HINT = "至少8个字符，不能全是数字，不要使用常见密码或与姓名相近的密码"  # noqa: S105 (a hint)


class LoginForm(PageForm):
    """Citizens and companies: phone number (or username) and password. The same address also takes
    a staff member's ``totp`` (scripts and older links post here); staff have their own page."""

    # Named "username" so django-axes masks it in its failure log (AXES_SENSITIVE_PARAMETERS).
    username = forms.CharField(
        label="手机号码",
        max_length=150,
        help_text="注册时填写的手机号码；企业账户也可以填写用户名",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
        error_messages={"required": "请填写手机号码"},
    )
    password = _password_field("密码", "current-password")
    totp = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)


class StaffLoginForm(PageForm):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
        error_messages={"required": "请填写用户名"},
    )
    password = _password_field("密码", "current-password")
    totp = _code_field("动态验证码", "打开身份验证器应用，输入当前显示的6位数字。", "请填写动态验证码")


class PhoneForm(PageForm):
    """The first step of the SMS-code login and of 忘记密码: the number to send the code to."""

    phone = _phone_field()


class SmsLoginForm(PageForm):
    phone = forms.CharField(widget=forms.HiddenInput, required=False)
    code = _code_field()


class ResetForm(PageForm):
    code = _code_field()
    password = _password_field("新密码", "new-password", NEW_PASSWORD_HINT, "请设置新密码")
    password_confirm = _password_field("再次输入新密码", "new-password", required="请再次输入新密码")


class ChangePasswordForm(PageForm):
    current_password = _password_field("当前密码", "current-password", required="请填写当前密码")
    password = _password_field("新密码", "new-password", NEW_PASSWORD_HINT, "请设置新密码")
    password_confirm = _password_field("再次输入新密码", "new-password", required="请再次输入新密码")


class ChangePhoneForm(PageForm):
    new_phone = _phone_field("新手机号码", "验证码将发送到这个号码，确认后用它登录和接收通知")
    current_password = _password_field("当前密码", "current-password", "为保护您的账户，请再次输入密码")


class ConfirmPhoneForm(PageForm):
    code = _code_field()


class AddressForm(PageForm):
    """详细地址: optional; the service checks the length (the message states the limit)."""

    address = forms.CharField(
        label="详细地址（可不填）",
        required=False,
        max_length=1000,  # the service states the real limit in its message
        help_text="街道（乡镇）以下的地址，如“北山街道1号”“文三路8号2幢301室”。申请时用来填写通讯地址；不填则只填地区。",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
