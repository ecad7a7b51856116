"""API shapes for accounts. Output never carries a full identifier unless a selector revealed it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sifa.accounts.models import AccountKind, LegalPerson, Mandate, NaturalPerson, User
from sifa.core.api.bodies import StrictSerializer
from sifa.core.api.schema import EnumField
from sifa.core.masking import mask_name
from sifa.organisations.models import Region


def region_data(region: Region | None) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name} if region else None


def user_summary(user: User) -> dict[str, Any]:
    return {
        "public_id": str(user.public_id),
        "username": user.username,
        "kind": user.kind,
        "display_name": user.display_name,
    }


# --- input -----------------------------------------------------------------------------------------
# Text inputs default to "" so the service reports every missing or bad field in one answer.


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=256, trim_whitespace=False
    )
    totp = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    sms_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)


class SmsCodeRequestSerializer(StrictSerializer):
    phone = serializers.CharField(max_length=20)


class RegisterPersonSerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=256, trim_whitespace=False
    )
    region_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=12)
    id_number_consent = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text=(
            "公民身份号码单独同意（个人信息保护法第二十九条）：申请人所见同意书的版本"
            "（GET /api/v1/accounts/consent-texts/ 的 register.id_number 当前版本）；缺少或已过期则与其他问题一并列出"
        ),
    )


class RegisterCompanySerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    uscc = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    legal_representative = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    password = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=256, trim_whitespace=False
    )
    region_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=12)


class MandateCreateSerializer(StrictSerializer):
    agent_kind = serializers.ChoiceField(
        choices=[("person", "自然人"), ("company", "法人（如律师事务所）")],
        required=False,
        default="person",
        help_text="受托人类型：person 自然人（姓名 + 公民身份号码），company 法人（名称 + 统一社会信用代码）",
    )
    agent_name = serializers.CharField(max_length=200, help_text="受托人姓名或单位名称（须与证件号码一致）")
    agent_id_number = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="自然人受托人的公民身份号码 (GB 11643)",
    )
    agent_uscc = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="法人受托人的统一社会信用代码 (GB 32100)",
    )
    scope = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        help_text="事项基本编码列表；为空表示全部事项",
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    document_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    def validate(self, attrs: dict) -> dict:
        field = "agent_uscc" if attrs["agent_kind"] == "company" else "agent_id_number"
        if not attrs.get(field, "").strip():
            label = "统一社会信用代码" if field == "agent_uscc" else "公民身份号码"
            # A rule across fields (which identifier depends on agent_kind), so a code of its own.
            raise serializers.ValidationError(
                {
                    field: serializers.ErrorDetail(
                        f"请填写受托人的{label}", code="mandate.agent_identifier_required"
                    )
                }
            )
        return attrs


# --- output ------------------------------------------------------------------------------------------


class PersonListSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    phone_masked = serializers.CharField(source="user.phone_masked", default="", read_only=True)
    region = serializers.SerializerMethodField()

    class Meta:
        model = NaturalPerson
        fields = [
            "id",
            "name",
            "id_number_masked",
            "phone_masked",
            "region",
            "real_name_verified",
            "created_at",
        ]

    def get_name(self, obj: NaturalPerson) -> str:
        return mask_name(obj.name)

    def get_region(self, obj: NaturalPerson) -> dict[str, str] | None:
        return region_data(obj.region)


class PersonDetailSerializer(PersonListSerializer):
    """Full name; full identifiers only when the view put them in the context (``revealed``)."""

    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    identifiers_revealed = serializers.SerializerMethodField()

    class Meta(PersonListSerializer.Meta):
        fields = [*PersonListSerializer.Meta.fields, "id_number", "phone", "identifiers_revealed"]

    def get_name(self, obj: NaturalPerson) -> str:
        return obj.name

    def _revealed(self) -> dict[str, str] | None:
        return self.context.get("revealed")

    def get_id_number(self, obj: NaturalPerson) -> str | None:
        revealed = self._revealed()
        return revealed["id_number"] if revealed else None

    def get_phone(self, obj: NaturalPerson) -> str | None:
        revealed = self._revealed()
        return revealed["phone"] if revealed else None

    def get_identifiers_revealed(self, obj: NaturalPerson) -> bool:
        return self._revealed() is not None


class CompanySerializer(serializers.ModelSerializer):
    phone_masked = serializers.CharField(source="user.phone_masked", default="", read_only=True)
    region = serializers.SerializerMethodField()

    class Meta:
        model = LegalPerson
        fields = ["id", "name", "uscc", "legal_representative", "phone_masked", "region", "created_at"]

    def get_region(self, obj: LegalPerson) -> dict[str, str] | None:
        return region_data(obj.region)


class MandateSerializer(serializers.ModelSerializer):
    principal = serializers.SerializerMethodField()
    agent = serializers.SerializerMethodField()

    class Meta:
        model = Mandate
        fields = [
            "id",
            "principal",
            "agent",
            "scope",
            "valid_from",
            "valid_until",
            "document_reference",
            "status",
            "created_at",
        ]

    def _party(self, user: User) -> dict[str, str]:
        return {
            "public_id": str(user.public_id),
            "kind": user.kind,
            "display_name": mask_name(user.display_name),
        }

    def get_principal(self, obj: Mandate) -> dict[str, str]:
        return self._party(obj.principal)

    def get_agent(self, obj: Mandate) -> dict[str, str]:
        return self._party(obj.agent)


# --- OpenAPI shapes of the answers built by hand in ``api.py`` (documentation only) ----------------


class UserSummarySerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text="账户的公开标识（委托代办时的 on_behalf_of）")
    username = serializers.CharField()
    kind = EnumField(AccountKind)
    display_name = serializers.CharField()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="请求时放在 Authorization: Bearer <token>；只返回这一次")
    expires_at = serializers.DateTimeField()
    user = UserSummarySerializer()


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="中文说明")


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="行政区划代码")
    name = serializers.CharField()


class MembershipOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField(help_text="1 部级 … 5 乡级")
    path = serializers.CharField()
    region_code = serializers.CharField(allow_null=True)


class MembershipSerializer(serializers.Serializer):
    organisation = MembershipOrganisationSerializer()
    role = serializers.CharField()
    role_display = serializers.CharField()


class MePersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()


class MyMandatesSerializer(serializers.Serializer):
    given = MandateSerializer(many=True, help_text="我委托他人的")
    received = MandateSerializer(many=True, help_text="他人委托我的")


class MeSerializer(UserSummarySerializer):
    phone_masked = serializers.CharField()
    person = MePersonSerializer(allow_null=True)
    company = CompanySerializer(allow_null=True)
    region = RegionRefSerializer(allow_null=True)
    memberships = MembershipSerializer(many=True, help_text="工作人员的机构岗位")
    mandates = MyMandatesSerializer(required=False, help_text="群众和企业账户才有")


class ConsentWithdrawSerializer(StrictSerializer):
    """Withdrawing needs nothing but the address (the record is the caller's own)."""


class ConsentGiveSerializer(StrictSerializer):
    code = serializers.CharField(max_length=60, help_text="同意事项代码，如 register.id_number")
    version = serializers.CharField(max_length=40, help_text="所见同意书的版本（须为当前版本）")


class ConsentTextSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    effective = serializers.DateField()
    title = serializers.CharField()
    text = serializers.CharField()
    legal_basis = serializers.CharField()
    withdrawable = serializers.BooleanField()
    withdrawal_consequence = serializers.CharField()
    per_application = serializers.BooleanField()


class ConsentRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    legal_basis = serializers.CharField()
    object_ref = serializers.CharField()
    given_at = serializers.DateTimeField()
    channel = serializers.CharField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawable = serializers.BooleanField()
    per_application = serializers.BooleanField()
    withdrawal_consequence = serializers.CharField()
