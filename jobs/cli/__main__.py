from jobs.cli.app import main

main()
