from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "sifa.documents"
    label = "documents"
    verbose_name = "文书与电子印章"

    def ready(self) -> None:
        from sifa.audit.labels import register_labels
        from sifa.documents.models import Document
        from sifa.organisations.scope import register

        # Staff see documents issued in their jurisdiction; a citizen or company only their own.
        register(Document, path="scope_path", owners=("recipient",))
        register_labels(
            {
                "documents.issue": "出具文书",
                "documents.seal.rotate": "签发新印章证书",
                "documents.withdraw": "撤销文书",
                "documents.read": "查阅通报",
            }
        )
