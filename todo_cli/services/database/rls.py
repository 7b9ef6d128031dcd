"""Row-level security on PostgreSQL: which tables hold users' rows, and their policies.

The rule, stated once (`PROTECTED`): a table holds users' rows if it has a `user_id` column,
or reaches such a table through a single-column foreign key (so an association table is kept
to the rows it points at). `users` itself is keyed by `id`, and `user_logins` (the mapping of
login roles to users) by `login_role`. Each such table gets ENABLE and FORCE ROW LEVEL SECURITY
and two policies:

- `todo_own_rows`, for every role and every command, USING and WITH CHECK the same condition:
  the row's user is the one mapped to `current_user`. `current_user`, not a session variable,
  so that nothing depends on session state (PgBouncer in transaction mode hands each
  transaction another server connection). The lookup is an uncorrelated subquery: the planner
  runs it once per statement (an InitPlan) and compares `user_id` with its result, so the
  `user_id` indexes serve the lists as before.
- `todo_owner`, for the table's owner (the role that runs `todo db migrate`): every row. FORCE
  makes the owner subject to policies, so without it the owner would see nothing. It is a
  separate policy, not an `OR` in the first one: a mapped role's condition stays a plain
  `user_id = $1`, which an index can answer.

Superusers and roles with BYPASSRLS (Neon's console roles, members of `neon_superuser`) are not
subject to policies at all. The mapped roles are created with SQL by `todo user add --login`.

`protect_sql()` is idempotent and applies the rule to whatever tables exist, so a migration
that adds a table runs it again (tests/test_rls.py fails if a table holding `user_id` is left
without policies). It also grants the mapped roles their privileges on every such table.
"""

from __future__ import annotations

LOGINS = "user_logins"
OWN_POLICY = "todo_own_rows"
OWNER_POLICY = "todo_owner"
# The user mapped to the role running the statement (NULL for an unmapped role).
MAPPED_USER = f"(SELECT l.user_id FROM {LOGINS} l WHERE l.login_role = current_user::text)"
# What a mapped role may do: its own rows of the user-row tables; only read its user and mapping.
WRITE = "SELECT, INSERT, UPDATE, DELETE"
READ = "SELECT"

_HAS_USER_ID = (
    "EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = {rel} AND a.attname = 'user_id'"
    " AND NOT a.attisdropped)"
)

# (name, owner, qual, privileges) of every table that holds users' rows: THE rule.
PROTECTED = f"""
WITH RECURSIVE held(rel, qual) AS (
    SELECT c.oid, 'user_id = ' || $me$
    FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
      AND c.relkind IN ('r', 'p') AND c.relname <> '{LOGINS}'
      AND {_HAS_USER_ID.format(rel="c.oid")}
  UNION
    SELECT k.conrelid, format('EXISTS (SELECT FROM %s p WHERE p.%I = %I)',
                              k.confrelid::regclass, pa.attname, ca.attname) COLLATE "default"
    FROM held h
    JOIN pg_constraint k ON k.confrelid = h.rel AND k.contype = 'f'
                        AND cardinality(k.conkey) = 1
    JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
    JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1]
    WHERE NOT {_HAS_USER_ID.format(rel="k.conrelid")}
), special(name, qual, privileges) AS (
    VALUES ('users', 'id = ' || $me$, '{READ}'),
           ('{LOGINS}', 'login_role = current_user::text', '{READ}')
)
SELECT name, pg_get_userbyid(c.relowner) AS owner, qual, privileges FROM (
    SELECT DISTINCT ON (rel) rel::regclass::text AS name, qual, '{WRITE}' AS privileges
    FROM held ORDER BY rel, qual
) x JOIN pg_class c ON c.oid = to_regclass(x.name)
UNION ALL
SELECT s.name, pg_get_userbyid(c.relowner), s.qual, s.privileges
FROM special s JOIN pg_class c ON c.oid = to_regclass(s.name)
ORDER BY 1
""".replace("$me$", "$q$" + MAPPED_USER + "$q$")


def protect_sql() -> str:
    """One DO block: row-level security and policies on every table `PROTECTED` lists, and
    the privileges of the roles already mapped (a table added since gets them too)."""
    return f"""DO $rls$
DECLARE t record; r record;  -- (names the query below must not use)
BEGIN
  FOR t IN {PROTECTED} LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t.name);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t.name);
    EXECUTE format('DROP POLICY IF EXISTS {OWN_POLICY} ON %s', t.name);
    EXECUTE format('CREATE POLICY {OWN_POLICY} ON %s USING (%s) WITH CHECK (%s)',
                   t.name, t.qual, t.qual);
    EXECUTE format('DROP POLICY IF EXISTS {OWNER_POLICY} ON %s', t.name);
    EXECUTE format('CREATE POLICY {OWNER_POLICY} ON %s TO %I USING (true) WITH CHECK (true)',
                   t.name, t.owner);
    IF to_regclass('{LOGINS}') IS NOT NULL THEN
      FOR r IN SELECT login_role FROM {LOGINS} LOOP
        EXECUTE format('GRANT %s ON %s TO %I', t.privileges, t.name, r.login_role);
      END LOOP;
    END IF;
  END LOOP;
END $rls$"""


def unprotect_sql() -> str:
    """The reverse of `protect_sql` (the roles' grants go with the tables or stay harmless)."""
    return f"""DO $rls$
DECLARE t record;
BEGIN
  FOR t IN {PROTECTED} LOOP
    EXECUTE format('DROP POLICY IF EXISTS {OWN_POLICY} ON %s', t.name);
    EXECUTE format('DROP POLICY IF EXISTS {OWNER_POLICY} ON %s', t.name);
    EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t.name);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t.name);
  END LOOP;
END $rls$"""
