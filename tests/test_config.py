"""Config: URL normalisation, masking, and the precedence rules of docs/reference.md."""

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
    target = config.DatabaseTarget(url)
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


def _resolve(cli_url: str | None = None) -> config.DatabaseTarget:
    return config.resolve_database(cli_url, config.Settings.load())


def test_embedded_sqlite_is_the_default() -> None:
    target = _resolve()
    assert target.backend == "sqlite"
    assert Path(target.url.database or "") == config.data_dir() / "todo.db"


def test_cli_url_beats_env_beats_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("DATABASE_URL=postgresql://dotenv@h/db\n")
    assert _resolve().url.username == "dotenv"
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@h/db")
    assert _resolve().url.username == "env"
    assert _resolve("postgresql://cli@h/db").url.username == "cli"


def test_dotenv_never_overrides_the_environment_nor_enters_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    monkeypatch.setenv("TODO_RETRY_SECONDS", "3")
    Path(".env").write_text("TODO_RETRY_SECONDS=7\nDATABASE_URL=sqlite:///x.db\nOTHER=1\n")
    settings = config.Settings.load()
    assert settings.retry_seconds == 3
    assert settings.database_url == "sqlite:///x.db"
    assert "DATABASE_URL" not in os.environ and "OTHER" not in os.environ


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TODO_CONNECT_TIMEOUT", "abc"),
        ("TODO_CONNECT_TIMEOUT", "1.5"),
        ("TODO_RETRY_SECONDS", "soon"),
        ("TODO_RETRY_SECONDS", "-1"),
        ("TODO_SLOW_MS", "nan"),
    ],
)
def test_bad_settings_are_misconfiguration(name: str, value: str) -> None:
    from todo_cli.errors import Misconfigured

    with pytest.raises(Misconfigured, match=name):
        config.Settings.load({name: value})


def test_sqlite_files_in_two_folders_are_two_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        keys.append(_resolve("sqlite:///todo.db").key)
    assert keys[0] != keys[1]
    monkeypatch.chdir(tmp_path / "a")
    assert _resolve(f"sqlite:///{tmp_path / 'a' / 'todo.db'}").key == keys[0]


def test_data_dir_honours_todo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_HOME", str(tmp_path / "elsewhere"))
    assert config.data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("TODO_HOME")
    assert config.data_dir().name.lower() == "todo"


def test_direct_url_from_env_or_derived_from_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    pooled = "postgresql://u:p@ep-x-123-pooler.us-east-2.aws.neon.tech/db?sslmode=require"
    monkeypatch.setenv("DATABASE_URL", pooled)

    def direct(cli_url: str | None = None) -> str | None:
        return config.resolve_direct_database(cli_url, config.Settings.load()).url.host

    assert direct() == "ep-x-123.us-east-2.aws.neon.tech"
    monkeypatch.setenv("DATABASE_URL_DIRECT", "postgresql://u:p@direct.example/db")
    assert direct() == "direct.example"
    # --database-url wins over both, and a non-Neon host is used as is.
    assert direct("postgresql://u@other-pooler.local/db") == "other-pooler.local"


def test_cache_key_ignores_password() -> None:
    a = config.DatabaseTarget(config.parse_url("postgresql://u:one@h/db"))
    b = config.DatabaseTarget(config.parse_url("postgresql://u:two@h/db"))
    c = config.DatabaseTarget(config.parse_url("postgresql://u:one@h/other"))
    assert a.key == b.key != c.key
