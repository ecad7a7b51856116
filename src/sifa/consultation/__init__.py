"""12348 法律咨询: the knowledge base (常见问题) and consultation tickets from every channel."""
