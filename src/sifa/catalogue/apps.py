from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "sifa.catalogue"
    label = "catalogue"
    verbose_name = "政务服务事项目录"
