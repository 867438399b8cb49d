"""runner.toml: secrets stay out of sight, mistakes stop the runner with a plain message."""

from pathlib import Path

import pytest
from ln1_runner.config import TOKEN_ENV, ConfigError, default_config_text, load_config
from ln1_runner.protocol import CONNECT_PATH, MAX_CHUNK_ROWS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runner.toml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = '[server]\nurl = "https://ln1.example.com/"\ntoken = "tok-123456"\n'


def test_defaults_apply_and_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE + '[database]\nurl = "sqlite:///data/sales.db"\n'))
    assert config.server_url == "wss://ln1.example.com"
    assert config.connect_url == "wss://ln1.example.com" + CONNECT_PATH
    assert config.database_url.database == str(tmp_path / "data" / "sales.db")
    assert config.dialect == "sqlite"
    assert (config.max_rows, config.statement_timeout_s) == (100_000, 30.0)
    assert (config.chunk_rows, config.free_sql) == (MAX_CHUNK_ROWS, False)
    assert config.audit_path == tmp_path / "audit.jsonl"
    assert len(config.catalog.queries) == 0


def test_password_comes_from_the_environment_and_never_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PW", "p@ss/wörd")
    text = BASE + '[database]\nurl = "postgresql+psycopg://reader:${DB_PW}@db:5432/sales"\n'
    config = load_config(write(tmp_path, text))
    assert config.database_url.password == "p@ss/wörd"
    assert config.database_url.host == "db"
    for shown in (repr(config), str(config)):
        assert "p@ss" not in shown and "tok-123456" not in shown
    assert set(config.secrets()) == {"tok-123456", "p@ss/wörd"}


def test_a_missing_environment_variable_is_named(tmp_path: Path) -> None:
    text = BASE + '[database]\nurl = "postgresql+psycopg://r:${LN1_NOT_SET_ANYWHERE}@db/x"\n'
    with pytest.raises(ConfigError, match="LN1_NOT_SET_ANYWHERE"):
        load_config(write(tmp_path, text))


def test_token_from_a_file_or_the_environment_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "runner.token").write_text("from-file\n")
    db = '[database]\nurl = "sqlite:///x.db"\n'
    server = '[server]\nurl = "wss://h"\n'
    assert load_config(write(tmp_path, server + 'token_file = "runner.token"\n' + db)).token == (
        "from-file"
    )
    with pytest.raises(ConfigError, match="no runner token"):
        load_config(write(tmp_path, server + db))
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert load_config(write(tmp_path, server + db)).token == "from-env"
    with pytest.raises(ConfigError, match="only one place"):
        load_config(write(tmp_path, server + 'token = "t"\n' + db))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BASE, "[database] url is missing"),
        (BASE.replace("https", "ftp") + '[database]\nurl="sqlite:///x"\n', "[server] url"),
        (BASE + '[database]\nurl = "nosuchdb://x"\n', "[database] url"),
        (BASE + '[database]\nurl = "sqlite:///x"\n[limits]\nmax_rowz = 5\n', "did you mean"),
        (BASE + '[database]\nurl = "sqlite:///x"\n[limits]\nchunk_rows = 999999\n', "chunk_rows"),
        (BASE + '[database]\nurl = "sqlite:///x"\n[limits]\nfree_sql = "yes"\n', "free_sql"),
        (BASE + '[database]\nurl = "sqlite:///x"\n[server2]\n', "server2"),
        (BASE + 'ca_file = "nope.pem"\n[database]\nurl = "sqlite:///x"\n', "ca_file"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert words in str(error.value)
    assert str(tmp_path / "runner.toml") in str(error.value)


def test_the_catalog_is_validated_in_the_databases_dialect(tmp_path: Path) -> None:
    text = BASE + (
        '[database]\nurl = "sqlite:///x.db"\n[[catalog]]\nname = "wipe"\ndescription = "d"\n'
        'keywords = ["k"]\nsql = "DELETE FROM sales"\n'
    )
    with pytest.raises(ConfigError, match=r"'wipe'.*safety check"):
        load_config(write(tmp_path, text))


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ln1-runner init"):
        load_config(tmp_path / "absent.toml")


def test_the_template_loads_once_its_secrets_are_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "tok")
    monkeypatch.setenv("DB_PASSWORD", "pw")
    config = load_config(write(tmp_path, default_config_text()))
    assert config.dialect == "postgres"
    assert list(config.catalog.queries) == ["sales_by_day"]
    assert config.free_sql is False
