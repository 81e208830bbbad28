from arabesque.cli import app

app()
