"""newsstand.toml: defaults, every section, the starter file, and one-line errors with lines."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path

import pytest

from newsstand import __version__
from newsstand.config import (
    CONFIG_NAME,
    SCHEMA,
    Config,
    ConfigError,
    FetchConfig,
    HexoConfig,
    RSSHubConfig,
    SiteConfig,
    SiteOutputConfig,
    StoreConfig,
    StoriesConfig,
    find_config,
    load_config,
    parse_config,
    starter_config,
)
from newsstand.model import Feed

FEED = """
[[feeds]]
route = "/sina/finance"
category = "金融"
source = "新浪财经"
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a temporary folder, so messages name the file as ``newsstand.toml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def parse(text: str, here: Path) -> Config:
    return parse_config(text, here / CONFIG_NAME)


def error(text: str, here: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(text, here)
    message = str(info.value)
    assert "\n" not in message
    return info.value


# --------------------------------------------------------------------------- defaults


def test_an_empty_file_gives_every_default(here: Path) -> None:
    config = parse("", here)
    assert config.path == here / CONFIG_NAME
    assert config.root == here
    assert config.site == SiteConfig()
    assert config.site.tz == zoneinfo.ZoneInfo("UTC")
    assert config.rsshub == RSSHubConfig(instances=("https://rsshub.app",), access_key=None)
    assert config.store == StoreConfig(url=f"sqlite:///{here}/.newsstand/newsstand.db")
    assert config.state.db == here / ".newsstand" / "newsstand.db"
    assert config.fetch == FetchConfig()
    assert config.fetch.user_agent == f"newsstand/{__version__}"
    assert config.fetch.max_bytes == 10 * 1024 * 1024
    assert config.hexo == HexoConfig(True, here / "source" / "_posts", "iso")
    assert config.feeds == ()


def test_the_dataclasses_are_frozen(here: Path) -> None:
    config = parse("", here)
    with pytest.raises(AttributeError):
        config.fetch.timeout = 1.0  # type: ignore[misc]


# --------------------------------------------------------------------------- every section


FULL = """
[site]
title = "我的新闻"
url = "https://news.example.org/portal/"
timezone = "Asia/Shanghai"

[rsshub]
instances = ["https://rsshub.example.org/", "http://127.0.0.1:1200"]
access_key = "s3cret"

[store]
url = "data/news.db"
keep_days = 90
keep_per_feed = 500

[fetch]
concurrency = 8
per_host = 2
timeout = 45          # an integer is fine where a number is expected
connect_timeout = 5.5
read_timeout = 15
max_bytes = 1048576
user_agent = "my-portal/1.0"
retries = 0

[output.hexo]
enabled = false
dir = "blog/source/_posts"
date_format = "rfc822"

[[feeds]]
route = "sina/finance/"
category = "金融"
source = "新浪财经"
channel = "新浪财经－国內"
limit = 20
include = "A股|港股"
exclude = "(?i)advert"
clean = false
keep_days = 7

[[feeds]]
"url" = "https://example.com/feed.xml"
category = "Tech"
source = "Example"
enabled = false
keep_per_feed = 50
"""


def test_every_section_is_read(here: Path) -> None:
    config = parse(FULL, here)
    assert config.site == SiteConfig("我的新闻", "https://news.example.org/portal", "Asia/Shanghai")
    assert config.site.tz == zoneinfo.ZoneInfo("Asia/Shanghai")
    assert config.rsshub == RSSHubConfig(
        ("https://rsshub.example.org", "http://127.0.0.1:1200"), "s3cret"
    )
    assert config.store == StoreConfig(f"sqlite:///{here}/data/news.db", 90, 500)
    assert config.fetch == FetchConfig(8, 2, 45.0, 5.5, 15.0, 1048576, "my-portal/1.0", 0)
    assert isinstance(config.fetch.timeout, float)
    assert config.hexo == HexoConfig(False, here / "blog" / "source" / "_posts", "rfc822")

    sina, example = config.feeds
    assert sina.key == sina.route == "/sina/finance"
    assert sina.url is None
    assert (sina.category, sina.source, sina.channel) == ("金融", "新浪财经", "新浪财经－国內")
    assert sina.limit == 20
    assert sina.include is not None and sina.include.search("今日A股收盘")
    assert sina.exclude is not None and sina.exclude.search("ADVERT")
    assert sina.clean is False and sina.enabled is True
    assert (sina.keep_days, sina.keep_per_feed) == (7, 500)  # its own, else [store]'s

    assert example == Feed(
        key="https://example.com/feed.xml",
        route=None,
        url="https://example.com/feed.xml",
        category="Tech",
        source="Example",
        channel="Example",  # defaults to source
        enabled=False,
        keep_days=90,
        keep_per_feed=50,
    )
    assert config.enabled_feeds == (sina,)


@pytest.mark.parametrize(
    ("given", "route"),
    [
        ("/sina/finance", "/sina/finance"),
        ("sina/finance", "/sina/finance"),
        ("  /sina//finance/ ", "/sina/finance"),
        ("rsshub://sina/finance", "/sina/finance"),
        ("/weibo/keyword/新闻?limit=10", "/weibo/keyword/新闻?limit=10"),
    ],
)
def test_routes_are_normalised(here: Path, given: str, route: str) -> None:
    text = FEED.replace('"/sina/finance"', f'"{given}"')
    (feed,) = parse(text, here).feeds
    assert feed.route == feed.key == route


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("news.db", "news.db"),
        ("data/news.db", "data/news.db"),
        ("sqlite:///data/news.db", "data/news.db"),
        ("sqlite:///../elsewhere/news.db", "../elsewhere/news.db"),
        ("数据/新闻.db", "数据/新闻.db"),
    ],
)
def test_relative_store_paths_start_at_the_config_folder(
    tmp_path: Path, url: str, file: str
) -> None:
    root = tmp_path / "site"
    config = parse_config(f'[store]\nurl = "{url}"\n', root / CONFIG_NAME)
    expected = (root / file).resolve()
    assert config.state.db == expected
    assert config.store.url == f"sqlite:///{expected}"


def test_a_postgres_store_keeps_its_state_beside_the_config(tmp_path: Path) -> None:
    text = '[store]\nurl = "postgres://news@db.example/news"\n'
    config = parse_config(text, tmp_path / CONFIG_NAME)
    assert config.store.url == "postgresql://news@db.example/news"
    assert config.state.log.parent == tmp_path.resolve() / ".newsstand"


def test_the_store_url_from_the_environment_may_carry_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSSTAND_STORE_URL", "postgresql://news:hunter2@db/news")
    config = parse_config('[store]\nurl = "x.db"\n', tmp_path / CONFIG_NAME)
    assert config.store.url == "postgresql://news:hunter2@db/news"
    monkeypatch.setenv("NEWSSTAND_STORE_URL", "mysql://db/news")
    with pytest.raises(ConfigError, match="NEWSSTAND_STORE_URL: expected a sqlite"):
        parse_config("", tmp_path / CONFIG_NAME)


def test_absolute_store_paths_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "abs" / "news.db"
    for url in (str(db), f"sqlite:///{db}"):
        config = parse_config(f'[store]\nurl = "{url}"\n', tmp_path / "x" / CONFIG_NAME)
        assert config.state.db == db


def test_relative_paths_do_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "portal"
    root.mkdir()
    (root / CONFIG_NAME).write_text('[output.hexo]\ndir = "hexo/source/_posts"\n', "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("../portal") / CONFIG_NAME)
    assert config.root == root
    assert config.hexo.dir == root / "hexo" / "source" / "_posts"
    assert config.state.db == root / ".newsstand" / "newsstand.db"


# --------------------------------------------------------------------------- starter config


def test_the_starter_config_parses_to_the_sina_feed(here: Path) -> None:
    text = starter_config()
    config = parse(text, here)
    assert config.feeds == (
        Feed(
            key="/sina/finance/china",
            route="/sina/finance/china",
            url=None,
            category="金融",
            source="新浪财经",
            channel="新浪财经\uff0d国\u5167",
        ),
    )
    # everything else is left at its defaults
    assert config == parse(
        FEED.replace(
            'source = "新浪财经"', 'source = "新浪财经"\nchannel = "新浪财经－国內"'
        ).replace('"/sina/finance"', '"/sina/finance/china"'),
        here,
    )


def test_the_starter_config_shows_every_key_and_section() -> None:
    text = starter_config()
    for section in (
        "[site]",
        "[rsshub]",
        "[store]",
        "[fetch]",
        "[output.hexo]",
        "[output.site]",
        "[stories]",
        "[[feeds]]",
    ):
        assert f"\n{section}\n" in text
    for cls in (
        SiteConfig,
        RSSHubConfig,
        StoreConfig,
        FetchConfig,
        HexoConfig,
        SiteOutputConfig,
        StoriesConfig,
    ):
        for name in cls.__dataclass_fields__:
            assert re.search(rf"^# {name} = ", text, re.M), name
    for name in Feed.__dataclass_fields__.keys() - {"key", "route", "url"}:
        assert re.search(rf"^#? ?{name} = ", text, re.M), name
    assert re.search(r'^# url = "https://', text, re.M)  # the commented-out url feed


def starter_settings() -> list[tuple[tuple[str, ...], str, bool, int | None]]:
    """(table, key, an example?, line index) of each ``# key = value`` line of the starter
    config, up to the commented-out second feed; an example's note begins "e.g.". The
    index is None in a table that is commented out itself ([deploy.hexo])."""
    found, table, live = [], ("",), True
    for number, line in enumerate(starter_config().splitlines()):
        if line == "# [[feeds]]":
            break
        heading = re.fullmatch(r"(#? ?)\[{1,2}([a-z.]+)\]{1,2}", line)
        if heading:
            table, live = tuple(heading.group(2).split(".")), not heading.group(1)
            continue
        setting = re.match(r"#\s+(\w+) = (.*)", line)
        if setting:
            note = re.search(r"\s#\s+(.*)$", setting.group(2))
            example = bool(note and note.group(1).startswith("e.g."))
            found.append((table, setting.group(1), example, number if live else None))
    return found


def test_the_starter_says_which_lines_are_defaults_and_which_examples(here: Path) -> None:
    """Uncommenting a default line changes nothing; an example is marked "e.g." and is a
    setting that is unset by default (or, for the user agent, computed)."""
    lines = starter_config().splitlines()
    settings = starter_settings()
    assert len(settings) > 40
    defaults = [n for *_, example, n in settings if not example]
    uncommented = [re.sub(r"^#\s+", "", x) if n in defaults else x for n, x in enumerate(lines)]
    assert parse("\n".join(uncommented), here) == parse(starter_config(), here)
    for table, key, example, _ in settings:
        unset = SCHEMA[table][key].default is None
        assert example == (unset or key == "user_agent"), (table, key)


def test_every_commented_starter_setting_is_valid(here: Path) -> None:
    text = starter_config()
    settings, feeds = text.split("\n[[feeds]]\n", 1)
    feed, _url_example = feeds.split("\n# [[feeds]]\n", 1)
    uncommented = re.sub(r"^# (\w+ = )", r"\1", settings + "\n[[feeds]]\n" + feed, flags=re.M)
    uncommented = uncommented.replace("newsstand/<version>", "newsstand/test")
    config = parse(uncommented, here)
    assert config.rsshub.access_key == "..."
    assert config.feeds[0].include is not None


def test_the_starter_url_feed_example_is_valid(here: Path) -> None:
    text = starter_config()
    example = text.split("\n# [[feeds]]\n", 1)[1]
    (feed,) = parse(re.sub(r"^# ", "", "[[feeds]]\n" + example, flags=re.M), here).feeds
    assert feed.url == feed.key == "https://example.com/feed.xml"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            FEED + '\n[[feeds]]\nroute = "/36kr/newsflashes"\ncategroy = "科技"\n',
            "newsstand.toml:9: [[feeds]] #2: unknown key 'categroy' (did you mean 'category'?)",
            id="typo in a feed",
        ),
        pytest.param(
            "[fetch]\nconcurrency = 4\ntimout = 3\n",
            "newsstand.toml:3: [fetch]: unknown key 'timout' (did you mean 'timeout'?)",
            id="typo in a section",
        ),
        pytest.param(
            '[fetch]\n\ntimeout = "30s"\n',
            "newsstand.toml:3: [fetch] timeout: expected a number, got string '30s'",
            id="string for a number",
        ),
        pytest.param(
            "[fetch]\nretries = true\n",
            "newsstand.toml:2: [fetch] retries: expected an integer, got boolean true",
            id="bool is not an int",
        ),
        pytest.param(
            "[fetch]\nconcurrency = 2.5\n",
            "newsstand.toml:2: [fetch] concurrency: expected an integer, got float 2.5",
            id="float for an int",
        ),
        pytest.param(
            "[fetch]\nper_host = 0\n",
            "newsstand.toml:2: [fetch] per_host: must be greater than 0, got 0",
            id="zero",
        ),
        pytest.param(
            "[fetch]\nretries = -1\n",
            "newsstand.toml:2: [fetch] retries: must be 0 or more, got -1",
            id="negative retries",
        ),
        pytest.param(
            '[output.hexo]\nenabled = "yes"\n',
            "newsstand.toml:2: [output.hexo] enabled: expected true or false, got string 'yes'",
            id="string for a bool",
        ),
        pytest.param(
            '[output.hexo]\ndate_format = "rfc882"\n',
            "newsstand.toml:2: [output.hexo] date_format: expected 'iso', 'rfc822' or 'local', "
            "got 'rfc882' (did you mean 'rfc822'?)",
            id="bad choice",
        ),
        pytest.param(
            '[rsshub]\ninstances = ["https://rsshub.app", 1200]\n',
            "newsstand.toml:2: [rsshub] instances: expected an array of strings, "
            "got an array [string 'https://rsshub.app', integer 1200]",
            id="array of mixed values",
        ),
        pytest.param(
            "[rsshub]\ninstances = []\n",
            "newsstand.toml:2: [rsshub] instances: give at least one RSSHub instance URL",
            id="no instances",
        ),
        pytest.param(
            '[rsshub]\ninstances = ["rsshub.app"]\n',
            "newsstand.toml:2: [rsshub] instances: expected an http:// or https:// URL, "
            "got 'rsshub.app'",
            id="instance without scheme",
        ),
        pytest.param(
            '[rsshub]\ninstances = ["https://rsshub.example.org/?key=s3cret"]\n',
            "newsstand.toml:2: [rsshub] instances: give an instance's address without a query"
            " (such as https://rsshub.example.org); its access key goes in access_key or the"
            " access_key_env variable",
            id="instance holding a key",
        ),
        pytest.param(
            FEED
            + FEED.replace("/sina/finance", "/36kr/newsflashes")
            + FEED.replace("route =", 'url = "https://x.org/rss"\nroute ='),
            "newsstand.toml:12: [[feeds]] #3: give exactly one of 'route' or 'url' (it has both)",
            id="both route and url",
        ),
        pytest.param(
            '# my feeds\n[[feeds]]\ncategory = "金融"\nsource = "新浪财经"\n',
            "newsstand.toml:2: [[feeds]] #1: give exactly one of 'route' or 'url' (it has neither)",
            id="neither route nor url",
        ),
        pytest.param(
            '[[feeds]]\nroute = "/a"\nsource = "s"\n',
            "newsstand.toml:1: [[feeds]] #1: missing required key 'category'",
            id="missing category",
        ),
        pytest.param(
            '[[feeds]]\nurl = "ftp://example.com/feed"\ncategory = "c"\nsource = "s"\n',
            "newsstand.toml:2: [[feeds]] #1 url: expected an http:// or https:// URL, "
            "got 'ftp://example.com/feed'",
            id="url not http",
        ),
        pytest.param(
            '[[feeds]]\nroute = "https://rsshub.app/sina/finance"\ncategory = "c"\nsource = "s"\n',
            "newsstand.toml:2: [[feeds]] #1 route: expected an RSSHub path such as "
            "'/sina/finance', got the URL 'https://rsshub.app/sina/finance'; "
            "use url = ... for a full feed URL",
            id="url as route",
        ),
        pytest.param(
            FEED + "limit = 0\n",
            "newsstand.toml:6: [[feeds]] #1 limit: must be greater than 0, got 0",
            id="zero limit",
        ),
        pytest.param(
            FEED + 'exclude = "广告("\n',
            "newsstand.toml:6: [[feeds]] #1 exclude: invalid regular expression '广告(': "
            "missing ), unterminated subpattern at position 2",
            id="bad regex",
        ),
        pytest.param(
            '[site]\ntitle = "t"\ntimezone = "Asia/Shangai"\n',
            "newsstand.toml:3: [site] timezone: unknown time zone 'Asia/Shangai' "
            "(did you mean 'Asia/Shanghai'?); use an IANA name such as 'Asia/Shanghai' or 'UTC'",
            id="bad timezone",
        ),
        pytest.param(
            '[site]\ntimezone = "utc"\n',
            "newsstand.toml:2: [site] timezone: unknown time zone 'utc' (did you mean 'UTC'?); "
            "use an IANA name such as 'Asia/Shanghai' or 'UTC'",
            id="timezone in the wrong case",
        ),
        pytest.param(
            '[site]\nurl = "localhost:4000"\n',
            "newsstand.toml:2: [site] url: expected an http:// or https:// URL, "
            "got 'localhost:4000'",
            id="bad site url",
        ),
        pytest.param(
            '[store]\nkeep_days = 30\nurl = "postgresql://user:hunter2@db/news"\n',
            "newsstand.toml:3: [store] url: a password must not be written in the config "
            "file: set PGPASSWORD (or use ~/.pgpass), or give the whole URL in "
            "NEWSSTAND_STORE_URL",
            id="password in a postgres url",
        ),
        pytest.param(
            '[store]\nurl = "postgresql+psycopg://db/news"\n',
            "newsstand.toml:2: [store] url: write postgresql://user@host/database (no driver "
            "name), got 'postgresql+psycopg://db/news'",
            id="sqlalchemy url",
        ),
        pytest.param(
            '[store]\nurl = "mysql://db/news"\n',
            "newsstand.toml:2: [store] url: expected a sqlite:/// URL, a postgresql:// URL or "
            "a file path, got 'mysql://db/news'",
            id="other database",
        ),
        pytest.param(
            FEED + '\n[[feeds]]\nroute = "sina/finance/"\ncategory = "c"\nsource = "s"\n',
            "newsstand.toml:7: [[feeds]] #2: route '/sina/finance' is already used by "
            "[[feeds]] #1 (line 2)",
            id="duplicate feed",
        ),
        pytest.param(
            '[site]\ntitle = "t"\n\n[fecth]\ntimeout = 5\n',
            "newsstand.toml:4: unknown section [fecth] (did you mean [fetch]?)",
            id="unknown section",
        ),
        pytest.param(
            '[output.hugo]\ndir = "content"\n',
            "newsstand.toml:1: unknown section [output.hugo] (known: [output.hexo], [output.site])",
            id="unknown output",
        ),
        pytest.param(
            '[database]\nurl = "x.db"\n',
            "newsstand.toml:1: unknown section [database] (known: [deploy], [feeds], [fetch], "
            "[health], [images], [output], [rsshub], [site], [store], [stories])",
            id="unknown section, nothing close",
        ),
        pytest.param(
            'timezone = "UTC"\n',
            "newsstand.toml:1: unknown key 'timezone' at the top level "
            "(did you mean 'timezone' in [site]?)",
            id="key outside its section",
        ),
        pytest.param(
            '[feeds]\nroute = "/a"\n',
            "newsstand.toml:1: feeds: expected an array of tables [[feeds]], got a table "
            "(write [[feeds]], with double brackets)",
            id="single brackets for feeds",
        ),
        pytest.param(
            "[site]\ntimezone = Asia/Shanghai\n",
            "newsstand.toml:2: TOML syntax error: Invalid value (column 12); "
            'strings need quotes: key = "text"',
            id="unquoted string",
        ),
        pytest.param(
            '[site]\ntitle = "t"\n[fetch\n',
            "newsstand.toml:3: TOML syntax error: "
            "Expected ']' at the end of a table declaration (column 7)",
            id="TOML syntax error",
        ),
    ],
)
def test_errors_are_one_line_with_file_line_and_key(here: Path, text: str, message: str) -> None:
    assert str(error(text, here)) == message


def test_an_error_carries_path_line_and_key(here: Path) -> None:
    e = error(FEED + '\n[[feeds]]\nroute = "/b"\ncategory = "c"\nsource = "s"\nlimit = "x"\n', here)
    assert (e.path, e.line, e.key) == (here / CONFIG_NAME, 11, "feeds[2].limit")
    assert e.message == "[[feeds]] #2 limit: expected an integer, got string 'x'"
    e = error("[output.hexo]\n\n\ndir = 3\n", here)
    assert (e.line, e.key) == (4, "output.hexo.dir")


def test_the_file_is_named_as_given_outside_the_current_folder(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "portal.toml"
    with pytest.raises(ConfigError) as info:
        parse_config("[fetch]\ntimeout = false\n", path)
    assert str(info.value) == f"{path}:2: [fetch] timeout: expected a number, got boolean false"


# --------------------------------------------------------------------------- the locator


def test_lines_are_found_for_quoted_and_dotted_keys(here: Path) -> None:
    text = '[output]\nhexo.enabled = true\n"hexo" . "date_format" = "x"\n'
    assert error(text, here).line == 3
    text = "[fetch]\n'timeout' = []\n"
    assert error(text, here).line == 2


def test_headers_and_keys_inside_strings_and_arrays_are_not_mistaken(here: Path) -> None:
    text = (
        "[site]\n"
        'title = """\n'
        "[fetch]\n"
        "retries = 1\n"
        '"""\n'
        "[rsshub]\n"
        "instances = [\n"
        '  "https://a.example", # [fetch]\n'
        '  "https://b.example",\n'
        "]\n"
        "[fetch]\n"
        "user_agent = '''\nretries = 1'''\n"
        'retries = "2"\n'
    )
    e = error(text, here)
    assert (e.line, e.key) == (14, "fetch.retries")


def test_errors_in_inline_tables_still_name_the_table(here: Path) -> None:
    text = 'feeds = [\n  { route = "/a", category = "c", source = "s", limit = -1 },\n]\n'
    e = error(text, here)
    assert e.message == "[[feeds]] #1 limit: must be greater than 0, got -1"


# --------------------------------------------------------------------------- files


def test_load_config_reads_utf8_with_chinese_values(here: Path) -> None:
    (here / CONFIG_NAME).write_text(starter_config(), encoding="utf-8")
    (feed,) = load_config(here / CONFIG_NAME).feeds
    assert feed.channel == "新浪财经－国內"
    (here / CONFIG_NAME).write_bytes(b"\xef\xbb\xbf" + starter_config().encode())  # a BOM
    assert load_config(here / CONFIG_NAME).feeds == (feed,)


def test_a_file_that_is_not_utf8_is_an_error(here: Path) -> None:
    (here / CONFIG_NAME).write_bytes('[site]\ntitle = "新闻"\n'.encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_config(here / CONFIG_NAME)
    assert str(info.value).startswith("newsstand.toml:2: not UTF-8 text")


def test_a_missing_file_is_an_error(here: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(here / "nope.toml")
    assert str(info.value) == "nope.toml: no such config file; run `newsstand init` to create one"


def test_find_config_in_the_current_folder(here: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_config(None, here)
    assert "run `newsstand init`" in str(info.value)
    (here / CONFIG_NAME).write_text("", "utf-8")
    assert find_config(None, here) == here / CONFIG_NAME


def test_find_config_with_an_explicit_path(here: Path) -> None:
    (here / "sub").mkdir()
    (here / "sub" / "mine.toml").write_text("", "utf-8")
    assert find_config(Path("sub/mine.toml"), here) == here / "sub" / "mine.toml"
    (here / "sub" / CONFIG_NAME).write_text("", "utf-8")
    assert find_config(Path("sub"), here) == here / "sub" / CONFIG_NAME  # a folder
    with pytest.raises(ConfigError) as info:
        find_config(Path("other.toml"), here)
    assert str(info.value).startswith("other.toml: no such config file")
    assert "newsstand init" in str(info.value)
