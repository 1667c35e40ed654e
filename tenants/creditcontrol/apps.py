"""Credit control plugs into the ledger's confirmation hook when the app is ready."""

from django.apps import AppConfig


class CreditControlConfig(AppConfig):
    name = "crm.tenants.creditcontrol"
    label = "creditcontrol"

    def ready(self) -> None:
        from crm.tenants.creditcontrol import access  # noqa: F401  (registers the policy's types)
        from crm.tenants.creditcontrol.check import credit_check
        from crm.tenants.creditcontrol.holds import record_refusal
        from crm.tenants.ledger.credit import register_credit_check, register_refusal_recorder

        register_credit_check(credit_check)
        register_refusal_recorder(record_refusal)
