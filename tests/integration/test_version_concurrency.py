"""N concurrent version creations of one model yield exactly versions 1..N, round after round."""

from __future__ import annotations

import itertools
import threading

from registry.db.engine import Database, create_database
from registry.db.uow import UnitOfWork
from registry.domain.identity import LOCAL_OPERATOR
from registry.services import aliases, models, versions

ROUNDS = 10


def test_concurrent_creations_number_without_gaps_or_duplicates(database: Database) -> None:
    n = 20 if database.is_sqlite else 50
    # Its own engine with a pool as large as the crowd: every thread holds its own connection.
    crowd = create_database(database.url.render_as_string(hide_password=False), pool_size=n)
    try:
        for round_ in range(ROUNDS):
            name = f"concurrent-{round_}"
            models.create_registered_model(UnitOfWork(crowd, LOCAL_OPERATOR), name)
            results: list[int] = []
            failures: list[BaseException] = []
            start = threading.Barrier(n)

            def create(
                i: int,
                name: str = name,
                results: list[int] = results,
                failures: list[BaseException] = failures,
                start: threading.Barrier = start,
            ) -> None:
                try:
                    start.wait()
                    mv = versions.create_model_version(
                        UnitOfWork(crowd, LOCAL_OPERATOR),
                        name,
                        f"mlflow-artifacts:/1/models/m-{i:032x}/artifacts",
                    )
                    results.append(mv.version)
                except BaseException as exc:
                    failures.append(exc)

            threads = [threading.Thread(target=create, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert not failures, f"round {round_}: {failures[:3]}"
            assert sorted(results) == list(range(1, n + 1)), f"round {round_}: {sorted(results)}"
            stored = versions.search_model_versions(UnitOfWork(crowd, LOCAL_OPERATOR), None, model=name)
            assert sorted(v.version for v in stored.items) == list(range(1, n + 1))
    finally:
        crowd.dispose()


def test_concurrent_alias_moves_end_consistent(database: Database) -> None:
    """32 threads move one alias; it ends on one of their versions, with one event each."""
    crowd = create_database(database.url.render_as_string(hide_password=False), pool_size=32)
    try:
        models.create_registered_model(UnitOfWork(crowd, LOCAL_OPERATOR), "m")
        for i in range(1, 9):
            versions.create_model_version(
                UnitOfWork(crowd, LOCAL_OPERATOR), "m", f"mlflow-artifacts:/1/models/m-{i:032x}/a"
            )
        start = threading.Barrier(32)
        failures: list[BaseException] = []

        def move(i: int) -> None:
            try:
                start.wait()
                aliases.set_alias(UnitOfWork(crowd, LOCAL_OPERATOR), "m", "champion", 1 + i % 8)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=move, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures
        final = aliases.get_version_by_alias(UnitOfWork(crowd, LOCAL_OPERATOR), "m", "champion")
        from sqlalchemy import select

        from registry.db.tables import AuditEventRow

        with UnitOfWork(crowd, LOCAL_OPERATOR).reading() as u:
            moves = list(
                u.session.scalars(
                    select(AuditEventRow)
                    .where(AuditEventRow.action == "model_version_alias.set")
                    .order_by(AuditEventRow.id)
                )
            )
        assert len(moves) == 32
        # Each move's "before" is the previous move's "after": a single consistent history.
        for earlier, later in itertools.pairwise(moves):
            assert later.before == {"alias": "champion", "version": earlier.after["version"]}
        assert moves[-1].after == {"alias": "champion", "version": final.version}
    finally:
        crowd.dispose()
