from registry.cli import cli

if __name__ == "__main__":  # the import's worker processes import this module too (spawn)
    cli()
