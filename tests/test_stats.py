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
