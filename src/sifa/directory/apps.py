from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "sifa.directory"
    label = "directory"
    verbose_name = "机构人员查询"
