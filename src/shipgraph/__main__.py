from shipgraph.cli import main

main()
