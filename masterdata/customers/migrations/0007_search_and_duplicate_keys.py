"""Index keys that keep search and the duplicate check fast among a million customers.

Two SQL functions, each indexed with GIN (see `identity` and `duplicates` for how the keys are
queried):

- customer_search_terms(search_text, normalized_name): every word; every pair of adjacent words
  of the search text (for searches of three or more words); and, for words of 4 to 40
  characters without digits, each spelling with one character left out (for typos). Code-like
  words (digits with letters, or more than four digits: codes, tax ids) are left out, and pairs
  starting with one: they are one of a kind, and searched as part of the text.
- customer_name_trigrams(country, normalized_name): the name's pg_trgm trigrams, each prefixed
  with the country and the name's number of trigrams, so that the duplicate check reads only
  names of its country whose length can reach the score.

They replace the GiST nearest-name index of 0004 (and the planner's use of it for searches).
A lookup of the exact tax id within the group (searches give no country) gets its own index.

Every search and duplicate check reads the GIN indexes, and each read scans their list of
pending entries: these keep it at 128 kB (the default is 4 MB, a few thousand new records).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

SEARCH_TERMS = """
CREATE FUNCTION customer_search_terms(search_text text, normalized_name text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    terms text[] := '{}';
    seen text[] := '{}';
    word text;
    previous text;
    i integer;
BEGIN
    FOREACH word IN ARRAY string_to_array(search_text, ' ') LOOP
        CONTINUE WHEN word = '';
        IF previous IS NOT NULL AND octet_length(previous) + octet_length(word) < 2046 THEN
            terms := terms || (previous || ' ' || word);  -- (a lexeme has at most 2046 bytes)
        END IF;
        previous := CASE WHEN word ~ '[0-9]' AND (word ~ '[^0-9]' OR char_length(word) > 4)
                         THEN NULL ELSE word END;
    END LOOP;
    FOREACH word IN ARRAY string_to_array(search_text || ' ' || normalized_name, ' ') LOOP
        CONTINUE WHEN word = '' OR word = ANY(seen)
            OR (word ~ '[0-9]' AND (word ~ '[^0-9]' OR char_length(word) > 4));
        seen := seen || word;
        terms := terms || word;
        IF char_length(word) BETWEEN 4 AND 40 AND word !~ '[0-9]' THEN
            FOR i IN 1 .. char_length(word) LOOP
                terms := terms || (left(word, i - 1) || substr(word, i + 1));
            END LOOP;
        END IF;
    END LOOP;
    RETURN array_to_tsvector(terms);
END
$$
"""

# {trgm}: the schema of pg_trgm. Index expressions run with a bare search_path.
NAME_TRIGRAMS = """
CREATE FUNCTION customer_name_trigrams(country text, name text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT country || ':' || cardinality(t.trigrams) || ':' || trigram
        FROM unnest(t.trigrams) AS trigram
    ))
    FROM (SELECT {trgm}.show_trgm(name) AS trigrams) AS t
$$
"""

NAME_KNN = (
    "CREATE INDEX customer_name_knn ON customers_customer "
    "USING gist (group_id, country, normalized_name gist_trgm_ops)"
)


def create_functions(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(n.nspname) FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
        (trgm,) = cursor.fetchone()
        cursor.execute(SEARCH_TERMS)
        cursor.execute(NAME_TRIGRAMS.replace("{trgm}", trgm))


def drop_functions(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS customer_search_terms(text, text)")
        cursor.execute("DROP FUNCTION IF EXISTS customer_name_trigrams(text, text)")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_history_of_every_language'),
        ('tenants', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(create_functions, drop_functions),
        migrations.RunSQL("DROP INDEX IF EXISTS customer_name_knn", NAME_KNN),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('tax_id', ''), _negated=True), fields=['group', 'tax_id'], name='customer_tax_id_search'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=django.contrib.postgres.indexes.GinIndex(models.Func(models.F('search_text'), models.F('normalized_name'), function='customer_search_terms', output_field=django.contrib.postgres.search.SearchVectorField()), gin_pending_list_limit=128, name='customer_search_terms'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=django.contrib.postgres.indexes.GinIndex(models.Func(models.F('country'), models.F('normalized_name'), function='customer_name_trigrams', output_field=django.contrib.postgres.search.SearchVectorField()), condition=models.Q(('status', 'MERGED'), _negated=True), gin_pending_list_limit=128, name='customer_name_trigrams'),
        ),
        # The same index with another storage parameter: altered, not built again.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER INDEX customer_search_trgm SET (gin_pending_list_limit = 128)",
                    "ALTER INDEX customer_search_trgm RESET (gin_pending_list_limit)",
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name='customer', name='customer_search_trgm'),
                migrations.AddIndex(
                    model_name='customer',
                    index=django.contrib.postgres.indexes.GinIndex(fields=['search_text'], gin_pending_list_limit=128, name='customer_search_trgm', opclasses=['gin_trgm_ops']),
                ),
            ],
        ),
    ]
