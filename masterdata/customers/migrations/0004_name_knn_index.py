"""Nearest-name lookups for duplicate checks: a GiST trigram index within group and country."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_search_text"),
        ("masterdata", "0003_price_windows_do_not_overlap"),  # installs btree_gist
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX customer_name_knn ON customers_customer "
            "USING gist (group_id, country, normalized_name gist_trgm_ops)",
            "DROP INDEX IF EXISTS customer_name_knn",
        ),
    ]
