from rxcompare.cli import run

run()
