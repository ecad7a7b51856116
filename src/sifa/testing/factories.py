"""factory_boy factories for regions, organisations, staff, citizens and companies.

Staff are written straight to the models (no audit event, so tests that count events see only
their own); citizens and companies that need a real identity go through the accounts services,
exactly as a registration does, so their identity numbers, phones and scope are the real ones.
Every account has a real password (:data:`PASSWORD`); staff get a confirmed TOTP device with the
``two_factor`` trait.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

import factory
from factory.django import DjangoModelFactory

from sifa.accounts.models import AccountKind, LegalPerson, NaturalPerson, User
from sifa.core.identifiers import id_number_check_digit, make_uscc
from sifa.organisations.models import Membership, Organisation, OrganisationKind, OrganisationLevel, Region

PASSWORD = "Sifa-Secret-2026!"  # noqa: S105  (the test accounts' password)


def id_number(first17: str) -> str:
    """A 公民身份号码 (GB 11643) with its check digit, from the first 17 characters."""
    return first17 + id_number_check_digit(first17)


class RegionFactory(DjangoModelFactory):
    """A 行政区划 by its GB/T 2260 code; an existing code is reused, never duplicated."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"99{n:04d}")
    name = factory.Sequence(lambda n: f"测试区划{n}")
    level = 3
    parent = None
    vintage = "test"


class OrganisationFactory(DjangoModelFactory):
    """An organisation at one of the five levels, with a valid USCC and its materialised path
    (the parent's path and its own key, as the tree build writes it). An explicit ``path`` is kept
    as given, for tests that speak of literal paths."""

    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    class Params:
        ministry = factory.Trait(
            name="中华人民共和国司法部", kind=OrganisationKind.MINISTRY, level=OrganisationLevel.MINISTRY
        )
        province = factory.Trait(level=OrganisationLevel.PROVINCE)
        city = factory.Trait(level=OrganisationLevel.CITY)
        county = factory.Trait(level=OrganisationLevel.COUNTY)
        township = factory.Trait(kind=OrganisationKind.JUDICIAL_OFFICE, level=OrganisationLevel.TOWNSHIP)

    name = factory.Sequence(lambda n: f"测试司法局{n}")
    kind = OrganisationKind.BUREAU
    level = OrganisationLevel.CITY
    region = None
    parent = None
    path = None
    uscc = factory.LazyAttributeSequence(
        lambda o, n: make_uscc("1", "1", (o.region.code if o.region else "100000")[:6], f"T{n:07d}")
    )

    @classmethod
    def _create(cls, model_class, *args, path=None, **kwargs):
        if path:
            return model_class.objects.create(*args, path=path, **kwargs)
        org = model_class.objects.create(*args, path=f"/new-{uuid.uuid4().hex}/", **kwargs)
        parent = kwargs.get("parent")
        org.path = f"{parent.path if parent else '/'}{org.pk}/"
        org.save(update_fields=["path"])
        return org


class StaffFactory(DjangoModelFactory):
    """A staff account with its roles: ``memberships=[(organisation, role), …]``; the first
    organisation's path is its scope, as ``accounts.services.create_staff`` sets it. Traits:
    ``two_factor`` (a confirmed TOTP device), ``registered`` (created by that service, with its
    checks and audit event, as an administrator creates one)."""

    class Meta:
        model = User

    class Params:
        two_factor = factory.Trait(totp=True)
        registered = factory.Trait(via_service=True)

    username = factory.Sequence(lambda n: f"staff{n}")
    kind = AccountKind.STAFF
    display_name = factory.SelfAttribute("username")
    password = PASSWORD
    memberships: Iterable = ()
    totp = False
    via_service = False

    @classmethod
    def _create(cls, model_class, *args, memberships=(), totp=False, via_service=False, **kwargs):
        from sifa.accounts import services

        memberships = list(memberships)
        if via_service:
            kwargs.pop("kind")
            user = services.create_staff(memberships=memberships, **kwargs)
        else:
            if memberships and "scope_path" not in kwargs:
                kwargs["scope_path"] = memberships[0][0].path
            user = model_class.objects.create_user(*args, **kwargs)
            for organisation, role in memberships:
                Membership.objects.create(user=user, organisation=organisation, role=role)
        if totp:
            services.add_totp_device(user)
        return user


def staff(username: str, organisation: Organisation, *roles: str, **fields) -> User:
    """Shorthand: ``staff("hz-clerk", orgs["hz"], Role.WINDOW_CLERK)``."""
    return StaffFactory(username=username, memberships=[(organisation, r) for r in roles], **fields)


class CitizenFactory(DjangoModelFactory):
    """A citizen's login without a registered identity (for tests that need an applicant only)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"citizen{n}")
    kind = AccountKind.PERSON
    display_name = "李四"
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class _ServiceFactory(factory.Factory):
    """Creates through an accounts service; returns the service's result."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError(f"{cls.__name__} registers through the accounts service: use create(), not build()")


class PersonFactory(_ServiceFactory):
    """A 自然人 registered as at /register/ (``accounts.services.register_person``); returns the
    NaturalPerson, whose ``.user`` logs in with :data:`PASSWORD`."""

    class Meta:
        model = NaturalPerson

    name = "张三"
    region_code = "330106001000"
    id_number = factory.LazyAttributeSequence(
        lambda o, n: id_number(f"{o.region_code[:6]}{dt.date(1990, 6, 1):%Y%m%d}{n % 1000:03d}")
    )
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from sifa.accounts.services import register_person

        return register_person(**kwargs)


class CompanyFactory(_ServiceFactory):
    """A 法人 registered by its USCC (``accounts.services.register_company``); returns the
    LegalPerson."""

    class Meta:
        model = LegalPerson

    name = "浙江示例律师事务所"
    region_code = "330106"
    uscc = factory.LazyAttributeSequence(lambda o, n: make_uscc("3", "1", o.region_code[:6], f"{n:08d}"))
    legal_representative = "李四"
    phone = factory.Sequence(lambda n: f"136{n:08d}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from sifa.accounts.services import register_company

        return register_company(**kwargs)
