from tools.admin.cli import app

app()
