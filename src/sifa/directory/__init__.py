"""机构人员查询: the public directory of practitioners and institutions (docs/directory.md)."""
