"""The `releases:` section of tracker.yml: loaded with the config, and a mistake in it is caught on load."""
import pytest
import yaml

from justice_tracker.config import CONFIG_FILE, ConfigError, load_config
from justice_tracker.fetch.runner import run_update
from test_fetch_support import web  # noqa: F401  (a fixture: no request may reach the network)


def _with_release_change(tmp_path, change):
    data = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    change(data["releases"][0])
    path = tmp_path / "tracker.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_tracker_yml_declares_the_five_releases():
    releases = load_config().releases
    assert [r.id for r in releases] == [
        "prison-population-weekly", "prison-population-monthly", "omsq", "hmpps-workforce",
        "prison-population-projections"]
    assert len({r.slug for r in releases}) == 5  # each has its own raw folder
    assert releases[-1].search is not None and releases[-1].collection is None


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(publications="(unclosed"), r"releases\.0\.publications.*not a valid regular expression"),
    (lambda r: r["attachments"][0].update(title="[a-"), r"releases\.0\.attachments\.0\.title"),
    (lambda r: r.update(search={"filters": {"filter_organisations": "x"}}), r"exactly one of `collection` or `search`"),
    (lambda r: r.update(colection="/government/collections/x"), r"releases\.0\.colection"),
    (lambda r: r["attachments"][0].update(date="week"), r"releases\.0\.attachments\.0\.date"),
    (lambda r: r.update(collection="government/collections/x"), r"base path starting with '/'"),
], ids=["bad-regex", "bad-attachment-regex", "two-ways-in", "typo-key", "bad-precision", "relative-collection"])
def test_a_mistake_in_a_release_is_rejected_naming_it(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_with_release_change(tmp_path, change))


def test_duplicate_release_ids_are_rejected(config, tmp_path, web):
    twice = config.model_copy(update={"releases": config.releases[:1] * 2})
    with pytest.raises(ValueError, match=r"duplicate release ids in tracker.yml: \['prison-population-weekly'\]"):
        run_update(twice, dry_run=True, raw_root=tmp_path / "raw", lock_path=tmp_path / "lock", progress=False)
