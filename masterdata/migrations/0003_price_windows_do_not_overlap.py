"""Items copy their list's scope, currency, window and liveness; PostgreSQL refuses overlaps."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.db.models.deletion
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models
from psycopg.types.range import Range as DateRange

import crm.platform.core.money


def copy_list_columns(apps, schema_editor):
    PriceList = apps.get_model("masterdata", "PriceList")
    PriceListItem = apps.get_model("masterdata", "PriceListItem")
    for price_list in PriceList.objects.all():
        if price_list.scope == "REGION":
            scope_key = f"REGION:{price_list.region_id}"
        elif price_list.scope == "BU":
            scope_key = f"BU:{price_list.business_unit_id}"
        else:
            scope_key = "GROUP"
        PriceListItem.objects.filter(price_list=price_list).update(
            group_id=price_list.group_id,
            scope_key=scope_key,
            currency=price_list.currency,
            window=DateRange(price_list.valid_from, price_list.valid_to, "[]"),
            live=price_list.status == "ACTIVE",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("masterdata", "0002_standard_cost_price_list_status"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.AddField(
            model_name="pricelistitem",
            name="group",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenants.group",
            ),
        ),
        migrations.AddField(
            model_name="pricelistitem",
            name="scope_key",
            field=models.CharField(editable=False, max_length=40, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pricelistitem",
            name="currency",
            field=crm.platform.core.money.CurrencyCodeField(editable=False, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pricelistitem",
            name="window",
            field=django.contrib.postgres.fields.ranges.DateRangeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pricelistitem",
            name="live",
            field=models.BooleanField(editable=False, default=False),
            preserve_default=False,
        ),
        migrations.RunPython(copy_list_columns, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pricelistitem",
            name="group",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenants.group",
            ),
        ),
        migrations.AlterField(
            model_name="pricelistitem",
            name="window",
            field=django.contrib.postgres.fields.ranges.DateRangeField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="pricelistitem",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("live", True)),
                expressions=[
                    ("group", "="),
                    ("scope_key", "="),
                    ("currency", "="),
                    ("material", "="),
                    ("window", "&&"),
                ],
                name="price_windows_do_not_overlap",
            ),
        ),
    ]
