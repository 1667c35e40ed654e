"""Every model declares its schema and whether it holds personal data, and the apps agree."""

from django.apps import apps
from django.conf import settings

from crm.platform.core.placement import Schema, placement_of


def _app_module(model: type) -> str:
    return model._meta.app_config.name  # type: ignore[attr-defined,no-any-return]


def test_every_installed_model_declares_its_placement() -> None:
    undeclared = [m._meta.label for m in apps.get_models() if placement_of(m) is None]
    assert undeclared == []


def test_shared_models_live_in_shared_apps_and_tenant_models_in_tenant_apps() -> None:
    wrong = []
    for model in apps.get_models():
        placement = placement_of(model)
        assert placement is not None
        app = _app_module(model)
        if placement.schema is Schema.SHARED and app not in settings.SHARED_APPS:
            wrong.append(model._meta.label)
        if placement.schema is Schema.TENANT and app not in settings.TENANT_APPS:
            wrong.append(model._meta.label)
    assert wrong == []


def test_personal_data_is_declared_where_people_are_stored() -> None:
    user = apps.get_model("accounts", "User")
    material = apps.get_model("masterdata", "Material")
    assert placement_of(user).personal_data is True  # type: ignore[union-attr]
    assert placement_of(material).personal_data is False  # type: ignore[union-attr]
