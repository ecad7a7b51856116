from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "sifa.licences"
    label = "licences"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from sifa.applications.onceonly import registry
        from sifa.audit.labels import register_labels
        from sifa.exchange.handlers import handlers
        from sifa.licences.models import Licence, LicenceAuthorisation, LicenceUse
        from sifa.licences.onceonly import WalletProvider
        from sifa.licences.partner import answer_lawyer_status
        from sifa.organisations.scope import register

        # Staff of the issuing organisation (and above) see a licence; the holder sees their own,
        # with every authorisation they gave and every use made of it.
        register(Licence, path="scope_path", owners=("holder",))
        register(LicenceAuthorisation, path="licence__scope_path", owners=("licence__holder",))
        register(LicenceUse, path="licence__scope_path", owners=("licence__holder",))
        registry.replace("licence", WalletProvider())
        handlers.register("lawyer.status", answer_lawyer_status)
        register_labels(
            {
                "licence.issue": "签发电子证照",
                "licence.reissue": "换发电子证照",
                "licence.replacement": "补办电子证照",
                "licence.change": "变更电子证照",
                "licence.import": "导入存量证照",
                "licence.types_loaded": "载入电子证照类型",
                "licence.suspended": "停止执业",
                "licence.valid": "恢复执业",
                "licence.revoked": "吊销电子证照",
                "licence.cancelled": "注销电子证照",
                "licence.authorise": "用证授权",
                "licence.authorisation_revoked": "撤销用证授权",
            }
        )
