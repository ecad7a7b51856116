"""法律法规库: statutes, their chapters and articles, imported from Markdown files; article search."""
