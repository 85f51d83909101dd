from jhs_qual.cli import main

if __name__ == "__main__":  # not when a worker process imports it again (spawn)
    main()
