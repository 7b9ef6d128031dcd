"""Config: URL normalisation, masking, and the precedence rules of CLI.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from todo_cli import config
from todo_cli.errors import BadInput

NEON = (
    "postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname"
    "?sslmode=require&channel_binding=require"
)


@pytest.mark.parametrize(
    "raw", ["postgres://u:p@h/db", "postgresql://u:p@h/db", "postgresql+psycopg2://u:p@h/db"]
)
def test_postgres_schemes_reach_psycopg2(raw: str) -> None:
    url = config.parse_url(raw)
    assert url.drivername == "postgresql+psycopg2"
    assert (url.username, url.password, url.host, url.database) == ("u", "p", "h", "db")


def test_neon_url_is_accepted_as_pasted() -> None:
    url = config.parse_url(NEON)
    assert url.drivername == "postgresql+psycopg2"
    assert url.query == {"sslmode": "require", "channel_binding": "require"}
    target = config.DatabaseTarget(url, embedded=False)
    assert "AbC123dEf" not in target.display
    assert target.display.startswith("postgresql+psycopg2://alex:***@ep-cool-darkness")


@pytest.mark.parametrize(
    "raw",
    ["mysql://u:hunter2@h/db", "nonsense", "", "postgresql://u:hunter2@:99999/db", "http://x"],
)
def test_bad_urls_are_bad_input_with_password_masked(raw: str) -> None:
    with pytest.raises(BadInput) as info:
        config.parse_url(raw)
    assert "hunter2" not in str(info.value)


def test_embedded_sqlite_is_the_default() -> None:
    target = config.resolve_database(None)
    assert target.embedded and target.backend == "sqlite"
    assert Path(target.url.database or "") == config.data_dir() / "todo.db"


def test_cli_url_beats_env_beats_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("DATABASE_URL=postgresql://dotenv@h/db\n")
    assert config.resolve_database(None).url.username == "dotenv"
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@h/db")
    assert config.resolve_database(None).url.username == "env"
    assert config.resolve_database("postgresql://cli@h/db").url.username == "cli"


def test_dotenv_never_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_USER", "from-env")
    Path(".env").write_text("TODO_USER=from-dotenv\nDATABASE_URL=sqlite:///x.db\n")
    config.load_dotenv_once()
    import os

    assert os.environ["TODO_USER"] == "from-env"
    monkeypatch.delenv("DATABASE_URL")  # loaded from .env; don't leak it to other tests


def test_data_dir_honours_todo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_HOME", str(tmp_path / "elsewhere"))
    assert config.data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("TODO_HOME")
    assert config.data_dir().name.lower() == "todo"


def test_direct_url_from_env_or_derived_from_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    pooled = "postgresql://u:p@ep-x-123-pooler.us-east-2.aws.neon.tech/db?sslmode=require"
    monkeypatch.setenv("DATABASE_URL", pooled)
    assert config.resolve_direct_database(None).url.host == "ep-x-123.us-east-2.aws.neon.tech"
    monkeypatch.setenv("DATABASE_URL_DIRECT", "postgresql://u:p@direct.example/db")
    assert config.resolve_direct_database(None).url.host == "direct.example"
    # --database-url wins over both, and a non-Neon host is used as is.
    assert config.resolve_direct_database("postgresql://u@other-pooler.local/db").url.host == (
        "other-pooler.local"
    )


def test_cache_key_ignores_password() -> None:
    a = config.DatabaseTarget(config.parse_url("postgresql://u:one@h/db"), embedded=False)
    b = config.DatabaseTarget(config.parse_url("postgresql://u:two@h/db"), embedded=False)
    c = config.DatabaseTarget(config.parse_url("postgresql://u:one@h/other"), embedded=False)
    assert a.key == b.key != c.key
