from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sifa.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from sifa.accounts.models import ConsentRecord, LegalPerson, Mandate, NaturalPerson, SmsMessage, User
        from sifa.organisations import scope

        # Closed by default: staff see accounts registered in their subtree, holders see their own.
        scope.register(User, path="scope_path", owners=("pk",))
        scope.register(NaturalPerson, path="scope_path", owners=("user",))
        scope.register(LegalPerson, path="scope_path", owners=("user",))
        scope.register(Mandate, path="scope_path", owners=("principal", "agent"))
        scope.register(SmsMessage, path="scope_path", owners=("recipient",))
        scope.register(ConsentRecord, path="scope_path", owners=("user",))
