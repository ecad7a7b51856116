from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "sifa.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from sifa.notifications.channels import register_sms_template
        from sifa.notifications.models import Delivery, Notification
        from sifa.organisations.scope import register

        # Staff see notifications of recipients in their jurisdiction; a citizen only their own.
        register(Notification, path="scope_path", owners=("recipient",))
        register(Delivery, path="notification__scope_path", owners=("notification__recipient",))
        register_sms_template()
