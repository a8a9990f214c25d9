import pytest

from engine.stats import AccountingError, StageStats


def test_identity_and_merge():
    a = StageStats("x")
    a.seen(3)
    a.keep()
    a.drop("short")
    a.fail("broken")
    b = StageStats("x")
    b.seen(2)
    b.drop("short", 2)
    a += b
    a.check()
    assert a.records_in == 5 and a.dropped["short"] == 3
    again = StageStats.from_dict(a.to_dict())
    assert again.to_dict() == a.to_dict()


def test_identity_violation_is_reported():
    s = StageStats("x")
    s.seen(2)
    s.keep()
    with pytest.raises(AccountingError, match="in=2"):
        s.check()


def test_config_layers_and_overrides(tmp_path):
    from engine.config import load_config

    user = tmp_path / "my.yaml"
    user.write_text("extract:\n  parser: warcio\noutput:\n  row_group_rows: 100\n")
    cfg = load_config(str(user), ["output.compression_level=9", "extract.html.timeout_s=1.5"])
    assert cfg["extract"]["parser"] == "warcio"
    assert cfg["extract"]["keep_images"] is True  # untouched defaults survive the deep merge
    assert cfg["output"]["row_group_rows"] == 100 and cfg["output"]["compression_level"] == 9
    assert cfg["extract"]["html"]["timeout_s"] == 1.5
    assert "filter" in cfg and "dedup" in cfg  # section files are merged in
