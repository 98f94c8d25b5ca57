from rxcompare.cli import main

main()
