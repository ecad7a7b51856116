from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "sifa.security"
    label = "security"
    verbose_name = "安全监测与处置"

    def ready(self) -> None:
        from sifa.audit.labels import register_labels
        from sifa.security import events  # noqa: F401  (registers the notification text)

        register_labels(
            {
                "security.incident_opened": "发现安全事件",
                "security.events_attached": "安全事件单新增事件",
                "security.incident_acknowledged": "确认安全事件",
                "security.incident_handled": "记录安全事件处置措施",
                "security.incident_closed": "关闭安全事件",
            }
        )
