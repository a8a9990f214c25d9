"""Document filters: each family scores a document (`score(doc) -> dict`) and a threshold config decides
(`decide(scores, config) -> (keep, reason)`)."""
