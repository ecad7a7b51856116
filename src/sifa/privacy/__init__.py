"""个人信息保护: the citizen's copy of their data (个人信息保护法 §45) and the retention purge (§19, §47)."""
