"""The Case Management case list at 1M runtimes on PostgreSQL: server time of a list page (issue 5, section 2).

    .venv/bin/python bench/case_list_bench.py [--runtimes 1000000] [--requests 40] [--phases before,after]
        [--keep] [--json] [--explain]    (phases: before, 0003, after)

What it does, in order:

1. drops and creates the database `arabesque_case_list_bench` on 127.0.0.1:5432 (`--admin-url` for another
   server) and migrates it to 0002 (the schema before the case-list indexes of migration 0003);
2. creates a project with the example definitions, the two first-start queues (*Businesses*, *Individuals*),
   an admin and 20 reviewers, then seeds `--runtimes` runtimes with `INSERT ... SELECT generate_series`
   (60 % on businesses, 40 % on end users; each entity carries a few runtimes' worth of rows: 5 businesses
   for 6 business runtimes, 3 end users for 4), with states drawn from each definition's states (70 %
   completed in a final state, 30 % active in the others), the state's tags, an assignee on half the cases,
   `created_at` spread over two years and `updated_at` after it; then `VACUUM ANALYZE`;
3. phase `before`: measures, for each view below, the use case the page handler calls
   (`arabesque.app.cases.list_cases.list_cases`) and the whole page (`GET /queues/{id}` through Starlette's
   TestClient, signed in as the admin: routing, session, use case, template), `--requests` times each after
   two unmeasured warm-ups; reports p50 / p95 / max in milliseconds;
4. phase `0003` (only when asked for): migrates to 0003 (the case-list indexes), `ANALYZE`, measures again;
   phase `after`: applies the remaining migrations (0003, and 0004: the phone-field indexes; the build time
   is printed), `ANALYZE`, and measures again;
5. drops the database (`--keep` keeps it, e.g. for `EXPLAIN ANALYZE` by hand).

Views: the default queue view (Businesses queue: active cases, newest first, page 1, with the exact total);
a selective search (a company-name fragment matching a handful of businesses); a broad search (one word of
the generated names, matching ~2 % of the businesses); "assigned to me"; and page 50 of the default view.

This is a benchmark, not a test: nothing asserts on time. The machine's load average is printed with the
figures: on a shared 2-core machine other work moves them a lot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

warnings.filterwarnings("ignore", message=".*httpx.*")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from arabesque.app.access.users import load_member  # noqa: E402
from arabesque.app.cases.list_cases import CaseQuery, list_cases  # noqa: E402
from arabesque.app.cases.queues import list_queues, seed_queues  # noqa: E402
from arabesque.app.definitions.create_definition import insert_definition  # noqa: E402
from arabesque.asgi import create_app  # noqa: E402
from arabesque.cli.bootstrap import create_tenant  # noqa: E402
from arabesque.store import Database, WorkflowDefinition, upgrade  # noqa: E402

DB_NAME = "arabesque_case_list_bench"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench password 1234"
WORDS = [
    "acme", "nordic", "zephyr", "atlas", "harbor", "summit", "quartz", "willow", "falcon", "meridian",
    "cobalt", "granite", "lumen", "orchid", "pioneer", "sterling", "tundra", "vertex", "beacon", "cascade",
    "delta", "ember", "fjord", "glacier", "horizon", "ivory", "juniper", "kestrel", "lattice", "mosaic",
    "nimbus", "onyx", "prairie", "quill", "raven", "sierra", "tidal", "umber", "vale", "wren",
    "yonder", "zenith", "amber", "birch", "cedar", "dune", "elm", "fern", "grove", "heath",
]  # fmt: skip
KINDS = ["Trading", "Holdings", "Logistics", "Capital", "Foods", "Systems", "Partners", "Labs", "Media", "Energy"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Karla", "Liam",
         "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umar"]  # fmt: skip
LAST = ["Smith", "Garcia", "Müller", "Rossi", "Dubois", "Kowalski", "Nielsen", "Silva", "Novak", "Jensen",
        "Weber", "Costa", "Ivanova", "Berg", "Moreau", "Fischer", "Santos", "Horvat", "Lindqvist", "Byrne"]  # fmt: skip


# A phone number for entity i (60 % of businesses, half the end users): "+<country code><10 digits>", the digits
# spread evenly, so a 3-digit prefix after the country code matches about one number in a thousand.
PHONE = (
    "'+' || (ARRAY['44','49','33','1','31'])[1 + i %% 5] || lpad((i::bigint * 104729 %% 10000000000)::text, 10, '0')"
)


def sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        base = args.admin_url.rsplit("/", 1)[0]
        self.url = base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{DB_NAME}"
        self.raw_url = f"{base}/{DB_NAME}"
        self.log: list[str] = []

    def say(self, line: str) -> None:
        print(line, flush=True)

    # --- set-up --------------------------------------------------------------------------------------

    def create_database(self) -> None:
        with psycopg.connect(self.args.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")

    def drop_database(self) -> None:
        with psycopg.connect(self.args.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    def prepare(self, db: Database) -> dict[str, Any]:
        """Schema 0002, a project with the examples, queues, an admin and reviewers."""
        upgrade(db.engine, "0002")
        project_id = create_tenant(db, "bench")
        with db.write() as s:
            for path in sorted((ROOT / "examples" / "definitions").glob("*.json")):
                insert_definition(s, project_id, json.loads(path.read_text()), created_by="SYSTEM")
            s.flush()
            seed_queues(s, project_id)
        # Users as schema 0002 has them (role and status on the user row); migration 0006 moves them onto the
        # memberships when the bench upgrades to head.
        admin_id = str(uuid.uuid4())
        users = [(admin_id, "admin@bench.local", "Ada", "Admin", PasswordHasher().hash(PASSWORD), "admin")]
        for i in range(20):
            users.append((str(uuid.uuid4()), f"reviewer{i}@bench.local", FIRST[i], LAST[i], "x", "reviewer"))
        with db.write() as s:
            for uid, email, first, last, hashed, role in users:
                s.execute(
                    text(
                        "INSERT INTO app_user (id, email, first_name, last_name, password_hash, roles, status, "
                        "created_at) VALUES (:id, :email, :first, :last, :hash, :roles, 'active', now())"
                    ),
                    {"id": uid, "email": email, "first": first, "last": last, "hash": hashed, "roles": f'["{role}"]'},
                )
                s.execute(text("INSERT INTO user_project VALUES (:u, :p)"), {"u": uid, "p": project_id})
            defs = s.scalars(select(WorkflowDefinition).where(WorkflowDefinition.project_id == project_id)).all()
            definitions = [
                {
                    "pk": d.pk,
                    "id": d.id,
                    "name": d.name,
                    "version": d.version,
                    "states": d.record["definition"]["states"],
                    "config": d.record.get("config") or {},
                }
                for d in defs
            ]
        return {"project_id": project_id, "admin_id": admin_id, "definitions": definitions}

    def seed(self, setup: dict[str, Any]) -> None:
        n = self.args.runtimes
        n_brt = n * 6 // 10
        n_urt = n - n_brt
        n_bus = max(1, n_brt * 5 // 6)
        n_eu = max(1, n_urt * 3 // 4)
        project = setup["project_id"]
        business_defs = {"kyb_with_ubos_demo", "till_basic_kyb_demo"}
        choices: list[tuple[Any, ...]] = []  # (entity, pk, id, name, version, state, status, tags, config) x weight
        for d in setup["definitions"]:
            entity = "business" if d["name"] in business_defs else "individual"
            final = [s for s, node in d["states"].items() if node.get("type") == "final"]
            other = [s for s, node in d["states"].items() if node.get("type") != "final"]
            for states, status, weight in ((final, "completed", 7), (other, "active", 3)):
                for st in states:
                    tags = json.dumps(d["states"][st].get("tags") or [])
                    row = (entity, d["pk"], d["id"], d["name"], d["version"], st, status, tags, json.dumps(d["config"]))
                    choices.extend([row] * (weight * 12 // len(states)))
        t0 = time.perf_counter()
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # no FK triggers while seeding
            conn.execute("SET maintenance_work_mem = '256MB'")
            conn.execute(
                "CREATE UNLOGGED TABLE seed_choice (entity text, k int, definition_pk bigint, definition_id text, "
                "definition_name text, definition_version int, state text, status text, tags jsonb, config jsonb)"
            )
            for entity in ("business", "individual"):
                rows = [c for c in choices if c[0] == entity]
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO seed_choice VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)",
                        [(c[0], k, *c[1:]) for k, c in enumerate(rows)],
                    )
            counts = dict(conn.execute("SELECT entity, count(*) FROM seed_choice GROUP BY entity").fetchall())
            reviewers = [r[0] for r in conn.execute("SELECT id FROM app_user ORDER BY email").fetchall()]
            words, kinds = sql_array(WORDS), sql_array(KINDS)
            firsts, lasts = sql_array(FIRST), sql_array(LAST)
            conn.execute(
                f"""
                INSERT INTO business (id, project_id, correlation_id, company_name, data, approval_state,
                                      created_at, updated_at)
                SELECT 'b-' || lpad(i::text, 8, '0'), %(p)s, 'corr-b' || lpad(i::text, 8, '0'),
                       initcap(({words})[1 + i %% 50]) || ' ' || initcap(({words})[1 + (i / 50) %% 50]) || ' '
                         || ({kinds})[1 + (i / 2500) %% 10] || ' ' || (i %% 9973) || ' Ltd',
                       jsonb_strip_nulls(jsonb_build_object(
                           'registrationNumber', 'RN' || lpad((i::bigint * 7919 %% 100000000)::text, 8, '0'),
                           'country', (ARRAY['GB','DE','FR','US','NL'])[1 + i %% 5],
                           'phone', CASE WHEN i %% 5 < 3 THEN {PHONE} END)),
                       'NEW', now() - interval '730 days' * random(), now()
                FROM generate_series(1, %(n)s) AS i
                """,
                {"p": project, "n": n_bus},
            )
            conn.execute(
                f"""
                INSERT INTO end_user (id, project_id, correlation_id, first_name, last_name, email, data,
                                      approval_state, created_at, updated_at)
                SELECT 'u-' || lpad(i::text, 8, '0'), %(p)s, 'corr-u' || lpad(i::text, 8, '0'),
                       ({firsts})[1 + i %% 20], ({lasts})[1 + (i / 20) %% 20],
                       lower(({firsts})[1 + i %% 20]) || '.' || i || '@example.com',
                       jsonb_strip_nulls(jsonb_build_object('phone', CASE WHEN i %% 2 = 0 THEN {PHONE} END)), 'NEW',
                       now() - interval '730 days' * random(), now()
                FROM generate_series(1, %(n)s) AS i
                """,
                {"p": project, "n": n_eu},
            )
            t1 = time.perf_counter()
            for entity, count, offset, n_ent, prefix, col in (
                ("business", n_brt, 0, n_bus, "b-", "business_id"),
                ("individual", n_urt, n_brt, n_eu, "u-", "end_user_id"),
            ):
                conn.execute(
                    f"""
                    INSERT INTO workflow_runtime (id, project_id, definition_pk, definition_id, definition_name,
                        definition_version, {col}, assignee_id, assigned_at, state, status, context, config, tags,
                        pending, seq, event_count, created_by, created_at, updated_at, resolved_at)
                    SELECT 'rt-' || lpad((i + %(offset)s)::text, 9, '0'), %(p)s, c.definition_pk, c.definition_id,
                        c.definition_name, c.definition_version, %(prefix)s || lpad((1 + i %% %(n_ent)s)::text, 8, '0'),
                        CASE WHEN i %% 2 = 0 THEN (%(reviewers)s::text[])[1 + (i / 2) %% %(n_rev)s] END,
                        CASE WHEN i %% 2 = 0 THEN t.created_at + interval '1 hour' END,
                        c.state, c.status,
                        jsonb_build_object('entity', jsonb_build_object('type', c.entity,
                            'id', 'corr-' || i, 'data', jsonb_build_object('note', repeat('x', 120))),
                            'documents', '[]'::jsonb),
                        c.config, c.tags, '{{}}'::jsonb, 3, 3, 'SYSTEM',
                        t.created_at, t.created_at + interval '2 days' * random(),
                        CASE WHEN c.status = 'completed' THEN t.created_at + interval '3 days' END
                    FROM generate_series(1, %(count)s) AS i
                    CROSS JOIN LATERAL (SELECT now() - interval '730 days' * (i::float8 / %(count)s)
                                        + interval '1 minute' * (i %% 7) AS created_at) AS t
                    JOIN seed_choice c ON c.entity = %(entity)s AND c.k = (i * 31) %% %(n_choices)s
                    """,
                    {
                        "offset": offset, "p": project, "prefix": prefix, "n_ent": n_ent, "count": count,
                        "entity": entity, "n_choices": counts[entity],
                        "reviewers": reviewers, "n_rev": len(reviewers),
                    },
                )  # fmt: skip
            conn.execute("DROP TABLE seed_choice")
            t2 = time.perf_counter()
            conn.execute("VACUUM ANALYZE")
            t3 = time.perf_counter()
        self.say(
            f"seeded {n_bus:,} businesses + {n_eu:,} end users in {t1 - t0:.1f} s, {n:,} runtimes in "
            f"{t2 - t1:.1f} s, VACUUM ANALYZE {t3 - t2:.1f} s (load {load_average()})"
        )

    # --- measuring -----------------------------------------------------------------------------------

    def views(self, setup: dict[str, Any]) -> list[tuple[str, CaseQuery]]:
        return [
            ("default queue view (me + unassigned)", CaseQuery()),
            ("anyone's active cases", CaseQuery(assignee="any")),
            ("search, selective ('zephyr atlas')", CaseQuery(search="zephyr atlas", assignee="any")),
            (
                "search, registration number prefix",
                CaseQuery(search="RN" + str(4242 * 7919).zfill(8)[:5], assignee="any"),
            ),
            ("search, broad ('nimbus')", CaseQuery(search="nimbus", assignee="any")),
            ("search, phone-shaped ('+44207')", CaseQuery(search="+44207", assignee="any")),
            ("assigned to a reviewer", CaseQuery(assignee=setup["reviewer_id"])),
            ("anyone's, page 50", CaseQuery(page=50, assignee="any")),
        ]

    def time_it(self, fn: Callable[[], Any]) -> dict[str, float]:
        for _ in range(2):
            fn()
        samples = []
        for _ in range(self.args.requests):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        return {
            "p50": statistics.median(samples),
            "p95": percentile(samples, 0.95),
            "max": max(samples),
        }

    def measure(self, phase: str, db: Database, setup: dict[str, Any], client: TestClient) -> list[dict[str, Any]]:
        member = load_member(db, setup["admin_id"], setup["project_id"])
        assert member is not None
        queue = next(q for q in list_queues(db, member) if q["entity"] == "businesses")
        out = []
        self.say(f"\n[{phase}] queue {queue['name']!r} ({', '.join(queue['definitionNames'])}); load {load_average()}")
        self.say(f"{'view':40} {'total':>9}  {'use case p50/p95/max ms':>26}  {'page p50/p95/max ms':>22}")
        for label, query in self.views(setup):
            result = list_cases(db, member, queue["id"], query)
            uc = self.time_it(lambda q=query: list_cases(db, member, queue["id"], q))
            url = f"/queues/{queue['id']}"
            params = query.params()

            def page(url: str = url, params: dict[str, Any] = params) -> None:
                response = client.get(url, params=params)
                assert response.status_code == 200, response.text[:300]

            pg = self.time_it(page)
            row = {"phase": phase, "view": label, "total": result["total"], "useCase": uc, "page": pg}
            out.append(row)
            self.say(
                f"{label:40} {result['total']:>9,}  "
                f"{uc['p50']:>8.1f} /{uc['p95']:>7.1f} /{uc['max']:>7.1f}  "
                f"{pg['p50']:>6.1f} /{pg['p95']:>6.1f} /{pg['max']:>6.1f}"
            )
        self.say(f"(load after the phase: {load_average()})")
        return out

    def explain(self, db: Database, setup: dict[str, Any]) -> None:
        """Print EXPLAIN ANALYZE of the statements of the default view and the selective search."""
        member = load_member(db, setup["admin_id"], setup["project_id"])
        assert member is not None
        queue = next(q for q in list_queues(db, member) if q["entity"] == "businesses")
        captured: list[tuple[str, Any]] = []

        from sqlalchemy import event

        def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            if "workflow_runtime" in statement and statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        for label, query in self.views(setup)[:2]:
            captured.clear()
            event.listen(db.engine, "before_cursor_execute", listen)
            try:
                list_cases(db, member, queue["id"], query)
            finally:
                event.remove(db.engine, "before_cursor_execute", listen)
            with psycopg.connect(self.raw_url, autocommit=True) as conn:
                for statement, parameters in captured[:2]:
                    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
                    self.say(f"\n-- {label}\n" + "\n".join(r[0] for r in plan))

    def run(self) -> int:
        started = time.perf_counter()
        self.say(f"database {DB_NAME}, {self.args.runtimes:,} runtimes; {os.cpu_count()} cores, load {load_average()}")
        self.create_database()
        db = Database(self.url)
        results: list[dict[str, Any]] = []
        try:
            setup = self.prepare(db)
            self.seed(setup)
            with db.read() as s:
                setup["reviewer_id"] = s.execute(
                    text("SELECT id FROM app_user WHERE email = 'reviewer3@bench.local'")
                ).scalar_one()
            with tempfile.TemporaryDirectory() as tmp:
                app = create_app(db, Path(tmp) / "files")
                client = TestClient(app)
                page = client.get("/login")
                token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                signed = client.post(
                    "/login",
                    data={"email": "admin@bench.local", "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False,
                )
                assert signed.status_code == 303, signed.text[:300]
                phases = [p.strip() for p in self.args.phases.split(",") if p.strip()]
                if "before" in phases:
                    results += self.measure("before (migration 0002)", db, setup, client)
                    if self.args.explain:
                        self.explain(db, setup)
                for phase, revision in (("0003", "0003"), ("after", "head")):
                    if phase not in phases:
                        continue
                    t = time.perf_counter()
                    upgrade(db.engine, revision)
                    built = time.perf_counter() - t
                    with psycopg.connect(self.raw_url, autocommit=True) as conn:
                        conn.execute("ANALYZE")
                    self.say(f"\nmigrated to {revision} (indexes built in {built:.1f} s, load {load_average()})")
                    results += self.measure(f"{phase} (migration {revision})", db, setup, client)
                    if self.args.explain:
                        self.explain(db, setup)
        finally:
            db.dispose()
            if self.args.keep:
                self.say(f"kept the database: {self.raw_url}")
            else:
                self.drop_database()
        if self.args.json:
            print(json.dumps({"runtimes": self.args.runtimes, "results": results}, indent=2))
        self.say(f"\ndone in {time.perf_counter() - started:.0f} s (load {load_average()})")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runtimes", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="measured requests per view (after 2 warm-ups)")
    parser.add_argument(
        "--phases", default="before,after", help="of before (0002), 0003, after (head); comma-separated"
    )
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of two views per phase")
    parser.add_argument("--json", action="store_true")
    return Bench(parser.parse_args()).run()


if __name__ == "__main__":
    raise SystemExit(main())
