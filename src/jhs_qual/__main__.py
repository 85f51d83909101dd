from jhs_qual.cli import main

main()
