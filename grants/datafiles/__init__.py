"""Where the shipped data lives and how its YAML is read (strict about repeated keys)."""
