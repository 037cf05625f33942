"""Views by who uses them: residents, officers, and the walk pages both see."""
